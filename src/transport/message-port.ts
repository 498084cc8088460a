import type { Acceptor, Channel, Dialer } from "./types.js";
import { AcceptQueue } from "./accept-queue.js";
import { ChannelError, abortedError, destroyedError } from "./errors.js";
import { ReceiveQueue } from "./receive-queue.js";
import { WriteQueue } from "./write-queue.js";

/** What we need of a MessagePort: the DOM's, Node's worker_threads', a Worker or a worker's global. */
export interface PortLike {
  // `readonly unknown[]`: DOM and Node type their transfer lists differently.
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  addEventListener(type: "message", listener: (event: Event) => void): void;
  removeEventListener(type: "message", listener: (event: Event) => void): void;
  start?(): void;
  close?(): void;
}

export interface MessagePortChannelOptions {
  name?: string;
  /** Bytes the writer may have sent and the reader not yet read (credits). Default 1 MiB. */
  window?: number;
}

/**
 * The messages a channel port carries. Data is a transferred ArrayBuffer; the reader returns
 * credits as it reads, and the writer never has more than `window` bytes unread in flight.
 */
type Message =
  | { t: "data"; bytes: ArrayBuffer }
  | { t: "credit"; n: number }
  | { t: "end" }
  | { t: "reset"; reason: string }
  | { t: "open" }
  | { t: "refused"; reason: string };

const DEFAULT_WINDOW = 1 << 20;
/** Largest single message: big enough to amortise posting, small enough to keep credits flowing. */
const MAX_MESSAGE = 256 * 1024;

class MessagePortChannel implements Channel {
  private readonly incoming: ReceiveQueue;
  private readonly outgoing: WriteQueue;
  private readonly window: number;
  private inFlight = 0;
  private unreadReceived = 0;
  private consumedSinceCredit = 0;
  private ending: Promise<void> | undefined;
  private sentEnd = false;
  private receivedEnd = false;
  private failure: Error | undefined;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  /** Settles when the acceptor took (or refused) a dialed channel. */
  readonly opened: Promise<void>;
  private settleOpened!: (err?: Error) => void;

  constructor(
    private readonly port: PortLike,
    public name: string,
    window: number,
  ) {
    this.window = window;
    this.opened = new Promise<void>((resolve, reject) => (this.settleOpened = (err) => (err ? reject(err) : resolve())));
    this.opened.catch(() => {});
    this.incoming = new ReceiveQueue(() => this.name, () => this.returnCredit());
    this.outgoing = new WriteQueue(() => this.window - this.inFlight, (slice) => this.sendData(slice), Math.min(window, MAX_MESSAGE));
    port.addEventListener("message", this.onMessage);
    // Node's ports say when the other side closed (its thread ended); browsers' do not.
    (port as unknown as EventTarget).addEventListener("close", this.onPortClose);
    port.start?.();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.ending && !this.failure) return Promise.reject(new ChannelError("ERR_CHANNEL_USAGE", this.name, "write after end"));
    return this.outgoing.write(bytes);
  }

  read(target: Uint8Array): Promise<number> {
    return this.incoming.read(target);
  }

  end(): Promise<void> {
    this.ending ??= this.outgoing.drained().then(() => {
      this.port.postMessage({ t: "end" } satisfies Message);
      this.sentEnd = true;
      this.closeIfDone();
    });
    return this.ending;
  }

  destroy(reason?: Error): void {
    if (this.failure) return;
    const err = reason ?? destroyedError(this.name);
    try {
      this.port.postMessage({ t: "reset", reason: err.message } satisfies Message);
    } catch {
      // The port is already unusable; the peer learns from its close.
    }
    this.fail(err);
  }

  private sendData(slice: Uint8Array): void {
    // One copy into a buffer of our own, then transferred, not cloned: the caller may reuse `slice`.
    const bytes = slice.slice().buffer;
    this.inFlight += bytes.byteLength;
    this.port.postMessage({ t: "data", bytes } satisfies Message, [bytes]);
  }

  private returnCredit(): void {
    const consumed = this.unreadReceived - this.incoming.buffered;
    if (consumed <= 0 || this.failure) return;
    this.unreadReceived -= consumed;
    this.consumedSinceCredit += consumed;
    // Batch credits, but never sit on them while nothing is left to read (the writer may be waiting).
    if (this.consumedSinceCredit >= this.window / 4 || this.incoming.buffered === 0) {
      this.port.postMessage({ t: "credit", n: this.consumedSinceCredit } satisfies Message);
      this.consumedSinceCredit = 0;
    }
  }

  private readonly onMessage = (event: Event): void => {
    if (this.failure) return;
    const m = (event as MessageEvent).data as Partial<Message> | null;
    switch (typeof m === "object" && m !== null ? m.t : undefined) {
      case "data": {
        const bytes = (m as { bytes?: unknown }).bytes;
        if (!(bytes instanceof ArrayBuffer)) return this.protocolError("data without an ArrayBuffer");
        if (this.receivedEnd) return this.protocolError("data after end");
        this.unreadReceived += bytes.byteLength;
        if (this.unreadReceived > this.window) return this.protocolError(`peer sent ${this.unreadReceived} unread bytes, beyond its ${this.window}-byte window`);
        this.incoming.push(new Uint8Array(bytes));
        return;
      }
      case "credit": {
        const n = (m as { n?: unknown }).n;
        if (typeof n !== "number" || !Number.isInteger(n) || n <= 0 || n > this.inFlight) return this.protocolError(`bad credit ${String(n)}`);
        this.inFlight -= n;
        this.outgoing.pump();
        return;
      }
      case "end":
        this.receivedEnd = true;
        this.incoming.end();
        this.closeIfDone();
        return;
      case "reset": {
        const err = new ChannelError("ERR_CHANNEL_RESET", this.name, `peer destroyed the channel: ${String((m as { reason?: unknown }).reason)}`);
        // Data that came before the reset stays readable, then reads fail.
        return this.fail(err, true);
      }
      case "open":
        return this.settleOpened();
      case "refused": {
        const err = new ChannelError("ERR_CHANNEL_REFUSED", this.name, `acceptor refused the channel: ${String((m as { reason?: unknown }).reason)}`);
        this.settleOpened(err);
        return this.fail(err);
      }
      default:
        return this.protocolError("unknown message");
    }
  };

  private readonly onPortClose = (): void => {
    if (!this.failure && !(this.sentEnd && this.receivedEnd)) {
      this.fail(new ChannelError("ERR_CHANNEL_PEER_CLOSED", this.name, "peer port closed mid-stream"));
    }
  };

  private protocolError(what: string): void {
    this.destroy(new ChannelError("ERR_CHANNEL_PROTOCOL", this.name, `malformed message from peer: ${what}`));
  }

  private closeIfDone(): void {
    if (this.sentEnd && this.receivedEnd) this.release();
  }

  private fail(err: Error, keepQueued = false): void {
    if (this.failure) return;
    this.failure = err;
    this.settleOpened(err);
    if (keepQueued) this.incoming.failAfterQueued(err);
    else this.incoming.fail(err);
    this.outgoing.fail(err);
    this.release();
  }

  private release(): void {
    this.port.removeEventListener("message", this.onMessage);
    (this.port as unknown as EventTarget).removeEventListener("close", this.onPortClose);
    this.port.close?.();
    this.resolveClosed();
  }
}

/** A Channel over a MessagePort whose other end is another `messagePortChannel`. */
export function messagePortChannel(port: PortLike, options: MessagePortChannelOptions = {}): Channel {
  const window = options.window ?? DEFAULT_WINDOW;
  if (!(window >= 1)) throw new RangeError(`messagePortChannel: window must be at least 1, got ${window}`);
  return new MessagePortChannel(port, options.name ?? "port", window);
}

/**
 * A Dialer over a control port: each dial makes a new MessageChannel and transfers one of its
 * ports to the `messagePortAcceptor` on the control port's other end (another worker or thread).
 */
export function messagePortDialer(control: PortLike, options: { window?: number } = {}): Dialer {
  return {
    async dial(name: string, signal?: AbortSignal): Promise<Channel> {
      if (signal?.aborted) throw abortedError(name, signal);
      const { port1, port2 } = new MessageChannel();
      const channel = new MessagePortChannel(port1, name, options.window ?? DEFAULT_WINDOW);
      control.postMessage({ t: "dial", name, port: port2 }, [port2]);
      const onAbort = () => channel.destroy(abortedError(name, signal!));
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await channel.opened;
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
      return channel;
    },
  };
}

/** Accepts the channels a `messagePortDialer` sends over `control`. */
export function messagePortAcceptor(control: PortLike, options: { window?: number; backlog?: number } = {}): Acceptor {
  const queue = new AcceptQueue("port", options.backlog);
  const onDial = (event: Event) => {
    const m = (event as MessageEvent).data as { t?: unknown; name?: unknown; port?: unknown } | null;
    if (typeof m !== "object" || m === null || m.t !== "dial" || typeof m.name !== "string" || !isPort(m.port)) return;
    const channel = new MessagePortChannel(m.port, m.name.slice(0, 200), options.window ?? DEFAULT_WINDOW);
    if (queue.offer(channel)) {
      m.port.postMessage({ t: "open" } satisfies Message);
    } else {
      m.port.postMessage({ t: "refused", reason: "acceptor closed or backlog full" } satisfies Message);
      channel.destroy(new ChannelError("ERR_ACCEPTOR_CLOSED", channel.name, "acceptor closed or backlog full"));
    }
  };
  control.addEventListener("message", onDial);
  control.start?.();
  return {
    accept: (signal) => queue.accept(signal),
    close: async () => {
      control.removeEventListener("message", onDial);
      queue.close();
    },
  };
}

function isPort(value: unknown): value is PortLike {
  return typeof value === "object" && value !== null && typeof (value as PortLike).postMessage === "function"
    && typeof (value as PortLike).addEventListener === "function";
}
