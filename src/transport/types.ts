/**
 * A channel: one ordered, reliable byte stream in each direction (a TCP or TLS connection, a
 * MessagePort, an in-memory pipe). The engine speaks to peers only through this interface.
 */
export interface Channel {
  /** For messages and errors, e.g. `main` or `multifd/2`; may be renamed once identified. */
  name: string;
  /**
   * Queues `bytes` for sending. Resolves once the channel no longer needs them (the caller may
   * reuse the buffer) and the peer is not too far behind: awaiting it is the backpressure.
   * Several writes may be pending; they are sent in call order. Rejects if the channel failed.
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Reads between 1 and `target.length` bytes into `target` and resolves with the count, or 0 at
   * the peer's orderly end. At most one read may be pending. Rejects if the channel failed.
   */
  read(target: Uint8Array): Promise<number>;
  /**
   * Optional, instead of `read`: hands every byte received from now on to `sink`, straight into the
   * memory it names where the transport can (a socket reads into it: no copy of ours). Returns
   * `wake`, to call when the sink may have room again after its `target()` said none.
   */
  readInto?(sink: ReadSink): () => void;
  /** Flushes pending writes, then ends the sending direction (the peer reads 0). */
  end(): Promise<void>;
  /**
   * Tears the channel down at once; pending and later reads and writes reject with `reason`
   * (default ERR_CHANNEL_DESTROYED). The peer's reads fail with ERR_CHANNEL_RESET after what it
   * already received (over TCP and TLS the kernel may show it as an end instead; its writes fail).
   */
  destroy(reason?: Error): void;
  /** Settles when the channel is fully closed (both directions, resources released). Never rejects. */
  readonly closed: Promise<void>;
}

/**
 * A reader that names where a channel's bytes go (see `Channel.readInto`). All calls are synchronous;
 * bytes arrive in stream order; after `ended` or `failed` nothing more is called.
 */
export interface ReadSink {
  /** Memory for the next bytes (non-empty), or undefined while there is no room: bytes then wait in the channel. */
  target(): Uint8Array | undefined;
  /** `n` (> 0) bytes were written at the start of the view the last `target()` returned. */
  landed(n: number): void;
  /** The peer ended its direction after every byte was landed. */
  ended(): void;
  /** The channel failed (bytes still queued in it are dropped). */
  failed(error: Error): void;
}

/** The source side opens channels. */
export interface Dialer {
  /**
   * Opens a channel named `name` (the acceptor's side gets the same name where the transport can
   * carry it: memory, MessagePort). Rejects typed: ERR_CHANNEL_REFUSED, ERR_TLS_HANDSHAKE,
   * ERR_CHANNEL_ABORTED when `signal` aborts.
   */
  dial(name: string, signal?: AbortSignal): Promise<Channel>;
}

/** The destination side accepts them. */
export interface Acceptor {
  /**
   * The next incoming channel, in arrival order. Rejects with ERR_ACCEPTOR_CLOSED after `close()`,
   * ERR_CHANNEL_ABORTED when `signal` aborts, or with a refused peer's error (ERR_TLS_HANDSHAKE);
   * after a refusal the acceptor stays open and may be asked again.
   */
  accept(signal?: AbortSignal): Promise<Channel>;
  /** Stops accepting: pending accepts reject, channels not yet accepted are destroyed; accepted ones stay open. */
  close(): Promise<void>;
}
