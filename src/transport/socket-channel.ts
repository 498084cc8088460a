import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Channel, ReadSink } from "./types.js";
import { BufferPool, type PoolSlot } from "./buffer-pool.js";
import { ChannelError, destroyedError, type ChannelErrorCode } from "./errors.js";
import { ReceiveQueue } from "./receive-queue.js";

/** Receive-side settings shared by the TCP and TLS transports. */
export interface ReceiveOptions {
  /** Size of each pooled receive buffer (rounded up to 64). Default 64 KiB. */
  receiveSlotSize?: number;
  /** Pooled receive buffers per channel; they bound what is buffered unread. Default 8. */
  receiveSlots?: number;
  /**
   * Memory to carve this channel's receive buffers from (e.g. a part of WASM linear memory the
   * codec scans); one region per channel. Default: a fresh page-aligned WebAssembly.Memory.
   */
  receiveRegion?: Uint8Array;
}

/** Node's `onread` option: the socket reads into buffers we lend instead of allocating. */
export interface OnRead {
  buffer: () => Uint8Array;
  callback: (nread: number, buf: Uint8Array) => boolean;
}

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|CERT_|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Maps a socket error to a typed channel error (connection refused, reset, peer gone, TLS). */
export function socketError(channel: string, err: Error & { code?: string }): ChannelError {
  const code = err.code ?? "";
  let typed: ChannelErrorCode = "ERR_CHANNEL_IO";
  let what = `socket error: ${err.message}`;
  if (code === "ECONNREFUSED") [typed, what] = ["ERR_CHANNEL_REFUSED", `connection refused (${err.message})`];
  else if (code === "ECONNRESET") [typed, what] = ["ERR_CHANNEL_RESET", "connection reset by peer"];
  else if (code === "EPIPE") [typed, what] = ["ERR_CHANNEL_PEER_CLOSED", "peer closed the connection mid-stream"];
  else if (TLS_CODE.test(code)) [typed, what] = ["ERR_TLS_HANDSHAKE", tlsRefusal(err as Error & { code: string; reason?: string })];
  return new ChannelError(typed, channel, what, { cause: err });
}

/** OpenSSL's reason on one line (its full text holds a newline and its source file), with what it usually means. */
function tlsRefusal(err: Error & { code: string; reason?: string }): string {
  const reason = err.reason ?? err.message.split("\n")[0];
  // A record that is not TLS: the peer speaks plain TCP (or another protocol) on this port.
  if (/^ERR_SSL_(WRONG_VERSION_NUMBER|HTTP_REQUEST)$/.test(err.code)) {
    return `TLS refused: the peer does not speak TLS (${reason}); use TLS on both ends or on neither`;
  }
  return `TLS refused: ${reason} (${err.code})`;
}

/**
 * Aborts the connection with an RST so the peer sees a reset rather than an end. A TLS socket is
 * only destroyed: resetting the TCP handle under it leaves it never emitting 'close'; its peer
 * reads an end (without close_notify) and its writes fail.
 */
function resetSocket(socket: Socket): void {
  if (socket instanceof TLSSocket) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * A Channel over a connected `net.Socket` or `tls.TLSSocket` (allowHalfOpen, so `end()` closes
 * only our direction). Two receive modes: `pooled` for sockets created with `onread()` (reads land
 * in pooled 64-byte aligned buffers, no allocation per chunk; reading pauses while the pool is
 * nearly all lent, i.e. while nobody reads), and `stream` for sockets Node creates without
 * `onread` support (TLS server side), which pause on the same byte bound.
 */
export class SocketChannel implements Channel {
  private readonly incoming: ReceiveQueue;
  private readonly pool: BufferPool;
  private socket: Socket | undefined;
  private current: PoolSlot | undefined;
  /** The socket's current buffer is the reader's own memory (`readInto`), not a pool slot. */
  private readingDirect = false;
  private mode: "pooled" | "stream" = "pooled";
  private paused = false;
  private failure: Error | undefined;
  private ending: Promise<void> | undefined;
  private readonly drainWaiters = new Set<(err?: Error) => void>();
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    public name: string,
    options: ReceiveOptions = {},
  ) {
    this.pool = new BufferPool({ slotSize: options.receiveSlotSize, slots: options.receiveSlots, region: options.receiveRegion });
    this.incoming = new ReceiveQueue(() => this.name, () => this.maybeResume());
  }

  /** The `onread` option for the socket this channel will wrap (pooled mode). */
  onread(): OnRead {
    return {
      buffer: () => this.nextBuffer(),
      callback: (nread) => this.received(nread),
    };
  }

  /** Takes ownership of a connected socket. */
  attach(socket: Socket, mode: "pooled" | "stream"): this {
    this.socket = socket;
    this.mode = mode;
    socket.setNoDelay(true);
    socket.on("error", (err) => this.fail(socketError(this.name, err)));
    socket.on("end", () => this.incoming.end());
    socket.on("close", () => {
      // A socket that closed without FIN or error from the peer (e.g. destroyed under us) still fails reads.
      if (!this.incoming.isEnded) this.fail(new ChannelError("ERR_CHANNEL_PEER_CLOSED", this.name, "connection closed mid-stream"));
      this.rejectDrainWaiters(this.failure ?? destroyedError(this.name));
      this.resolveClosed();
    });
    if (mode === "stream") {
      socket.on("data", (chunk: Buffer) => {
        this.incoming.push(chunk);
        if (this.incoming.buffered >= this.pool.slotSize * this.pool.slotCount) this.pause();
      });
    }
    return this;
  }

  write(bytes: Uint8Array): Promise<void> {
    const socket = this.socket!;
    if (this.failure) return Promise.reject(this.failure);
    if (this.ending) return Promise.reject(new ChannelError("ERR_CHANNEL_USAGE", this.name, "write after end"));
    if (bytes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      // The callback runs once the kernel took the bytes (the caller may reuse its buffer);
      // past the high-water mark we also wait for 'drain', so awaiting writes bounds our memory.
      socket.write(bytes, (err) => {
        if (err || this.failure) return reject(this.failure ?? socketError(this.name, err!));
        if (!socket.writableNeedDrain) return resolve();
        const onDrain = (failure?: Error) => {
          this.drainWaiters.delete(onDrain);
          socket.off("drain", onDrain);
          failure ? reject(failure) : resolve();
        };
        this.drainWaiters.add(onDrain);
        socket.once("drain", onDrain);
      });
    });
  }

  read(target: Uint8Array): Promise<number> {
    return this.incoming.read(target);
  }

  /** In pooled mode the socket reads straight into the sink's memory whenever nothing is queued. */
  readInto(sink: ReadSink): () => void {
    return this.incoming.readInto(sink);
  }

  end(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.ending ??= new Promise<void>((resolve, reject) => {
      this.socket!.end(() => (this.failure ? reject(this.failure) : resolve()));
    });
    return this.ending;
  }

  destroy(reason?: Error): void {
    this.fail(reason ?? destroyedError(this.name), true);
  }

  /** `reset`: we tear down, so the peer gets an RST (a typed reset), never a FIN it would take for an orderly end. */
  private fail(err: Error, reset = false): void {
    if (this.failure) return;
    this.failure = err;
    this.incoming.fail(err);
    this.rejectDrainWaiters(err);
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    if (reset && !(socket.readableEnded && socket.writableFinished)) resetSocket(socket);
    else socket.destroy();
  }

  private rejectDrainWaiters(err: Error): void {
    for (const waiter of [...this.drainWaiters]) waiter(err);
  }

  private nextBuffer(): Uint8Array {
    const direct = this.incoming.directTarget();
    this.readingDirect = direct !== undefined;
    if (direct) return direct;
    // received() pauses reading before the pool runs dry, so a slot is always free here.
    this.current = this.pool.take();
    if (!this.current) throw new Error(`${this.name}: receive pool exhausted (a bug)`);
    return this.current.bytes;
  }

  private received(nread: number): boolean {
    if (this.readingDirect) {
      this.readingDirect = false;
      this.incoming.landed(nread);
      return true;
    }
    const slot = this.current!;
    this.current = undefined;
    this.incoming.push(slot.bytes.subarray(0, nread), () => {
      this.pool.give(slot);
      this.maybeResume();
    });
    // Node calls nextBuffer() right after this; keep one more slot free for the read after that.
    if (this.pool.available >= 2 || this.failure) return true;
    this.paused = true;
    return false;
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket!.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.failure || !this.socket) return;
    const room = this.mode === "pooled" ? this.pool.available >= 1 : this.incoming.buffered < this.pool.slotSize * this.pool.slotCount;
    if (room) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
