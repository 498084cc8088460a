import type { Acceptor, Channel, Dialer } from "./types.js";
import { AcceptQueue } from "./accept-queue.js";
import { ChannelError, abortedError, destroyedError, type ChannelErrorCode } from "./errors.js";
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
 * credits as it reads, and the writer never has more than `window` bytes unread in flight. With the
 * credits go back the buffers it has read (transferred again), which the writer fills next: a
 * steady stream allocates nothing, where a fresh buffer per message costs page faults on both ends.
 */
type Message =
  | { t: "data"; bytes: ArrayBuffer; length?: number }
  | { t: "credit"; n: number; buffers?: ArrayBuffer[] }
  | { t: "end" }
  | { t: "reset"; reason: string; code?: ChannelErrorCode }
  | { t: "open" }
  | { t: "refused"; reason: string; code?: ChannelErrorCode };

const DEFAULT_WINDOW = 1 << 20;
/** Largest single message: big enough to amortise posting, small enough to keep credits flowing. */
const MAX_MESSAGE = 256 * 1024;
const MAX_REASON = 1000;
/**
 * What a peer may pass on as its own code: failures of a connection it relays for us (a socket in
 * a worker thread), which mean the same on our side. Anything else it reports is a reset.
 */
const FORWARDED_CODES = new Set<ChannelErrorCode>(["ERR_CHANNEL_REFUSED", "ERR_CHANNEL_RESET", "ERR_CHANNEL_PEER_CLOSED", "ERR_CHANNEL_IO", "ERR_TLS_HANDSHAKE"]);

/** A reset's or refusal's fields for `err`: its message without our name (the peer adds its own), and its code. */
function forwarded(err: Error, name: string): { reason: string; code?: ChannelErrorCode } {
  const prefix = `${name}: `;
  const reason = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  const code = (err as { code?: unknown }).code;
  return FORWARDED_CODES.has(code as ChannelErrorCode) ? { reason, code: code as ChannelErrorCode } : { reason };
}

class MessagePortChannel implements Channel {
  private readonly incoming: ReceiveQueue;
  private readonly outgoing: WriteQueue;
  private readonly window: number;
  private inFlight = 0;
  private unreadReceived = 0;
  private consumedSinceCredit = 0;
  /** The size of the buffers we send in: the largest message. */
  private readonly slotSize: number;
  /** Buffers the peer returned, ready to fill; at most as many as the window can have in flight. */
  private readonly spare: ArrayBuffer[] = [];
  private readonly maxSpare: number;
  /** Buffers we have read out, to return with the next credit. */
  private readonly readOut: ArrayBuffer[] = [];
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
    this.slotSize = Math.min(window, MAX_MESSAGE);
    this.maxSpare = Math.ceil(window / this.slotSize) + 1;
    this.opened = new Promise<void>((resolve, reject) => (this.settleOpened = (err) => (err ? reject(err) : resolve())));
    this.opened.catch(() => {});
    this.incoming = new ReceiveQueue(() => this.name, () => this.returnCredit());
    // Full messages only, but for a write's last bytes: the peer credits a quarter window at a time or whenever it ran dry.
    this.outgoing = new WriteQueue(() => this.window - this.inFlight, (slice) => this.sendData(slice), this.slotSize, this.slotSize);
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
      this.port.postMessage({ t: "reset", ...forwarded(err, this.name) } satisfies Message);
    } catch {
      // The port is already unusable; the peer learns from its close.
    }
    this.fail(err);
  }

  private sendData(slice: Uint8Array): void {
    // One copy into a buffer of our own, then transferred, not cloned: the caller may reuse `slice`.
    const bytes = this.spare.pop() ?? new ArrayBuffer(this.slotSize);
    new Uint8Array(bytes, 0, slice.length).set(slice);
    this.inFlight += slice.length;
    this.port.postMessage({ t: "data", bytes, length: slice.length } satisfies Message, [bytes]);
  }

  private returnCredit(): void {
    const consumed = this.unreadReceived - this.incoming.buffered;
    if (consumed <= 0 || this.failure) return;
    this.unreadReceived -= consumed;
    this.consumedSinceCredit += consumed;
    // Batch credits, but never sit on them while nothing is left to read (the writer may be waiting).
    if (this.consumedSinceCredit >= this.window / 4 || this.incoming.buffered === 0) {
      const buffers = this.readOut.splice(0);
      this.port.postMessage({ t: "credit", n: this.consumedSinceCredit, buffers } satisfies Message, buffers);
      this.consumedSinceCredit = 0;
    }
  }

  private readonly onMessage = (event: Event): void => {
    if (this.failure) return;
    const m = (event as MessageEvent).data as Partial<Message> | null;
    switch (typeof m === "object" && m !== null ? m.t : undefined) {
      case "data": {
        const { bytes, length } = m as { bytes?: unknown; length?: unknown };
        if (!(bytes instanceof ArrayBuffer)) return this.protocolError("data without an ArrayBuffer");
        const n = length === undefined ? bytes.byteLength : length;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > bytes.byteLength) return this.protocolError(`bad data length ${String(n)}`);
        if (this.receivedEnd) return this.protocolError("data after end");
        this.unreadReceived += n;
        if (this.unreadReceived > this.window) return this.protocolError(`peer sent ${this.unreadReceived} unread bytes, beyond its ${this.window}-byte window`);
        this.incoming.push(new Uint8Array(bytes, 0, n), () => this.readOut.push(bytes));
        return;
      }
      case "credit": {
        const n = (m as { n?: unknown }).n;
        if (typeof n !== "number" || !Number.isInteger(n) || n <= 0 || n > this.inFlight) return this.protocolError(`bad credit ${String(n)}`);
        this.inFlight -= n;
        this.keepSpares((m as { buffers?: unknown }).buffers);
        this.outgoing.pump();
        return;
      }
      case "end":
        this.receivedEnd = true;
        this.incoming.end();
        this.closeIfDone();
        return;
      case "reset": {
        const err = this.peerError(m!, "ERR_CHANNEL_RESET", "peer destroyed the channel");
        // Data that came before the reset stays readable, then reads fail.
        return this.fail(err, true);
      }
      case "open":
        return this.settleOpened();
      case "refused": {
        const err = this.peerError(m!, "ERR_CHANNEL_REFUSED", "acceptor refused the channel");
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

  /** Keeps what the peer returned that we can fill again: our own slot size, up to what the window needs. */
  private keepSpares(buffers: unknown): void {
    if (!Array.isArray(buffers)) return;
    for (const b of buffers) {
      if (this.spare.length >= this.maxSpare) return;
      if (b instanceof ArrayBuffer && b.byteLength === this.slotSize) this.spare.push(b);
    }
  }

  /** The error a peer's reset or refusal stands for: its own code where it passes one on (see `forwarded`). */
  private peerError(m: Partial<Message>, fallback: ChannelErrorCode, what: string): ChannelError {
    const { reason, code } = m as { reason?: unknown; code?: unknown };
    const text = String(reason).slice(0, MAX_REASON);
    if (FORWARDED_CODES.has(code as ChannelErrorCode)) return new ChannelError(code as ChannelErrorCode, this.name, text);
    return new ChannelError(fallback, this.name, `${what}: ${text}`);
  }

  /** Posts the answer to a dial made over this port (see `answerDial`). */
  answer(refusal?: Error): void {
    if (!refusal) return this.port.postMessage({ t: "open" } satisfies Message);
    this.port.postMessage({ t: "refused", ...forwarded(refusal, this.name) } satisfies Message);
    this.fail(refusal);
  }

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
      control.postMessage({ t: "dial", name, port: port2 }, [port2]);
      return awaitAnswer(port1, name, options.window ?? DEFAULT_WINDOW, signal);
    },
  };
}

/**
 * The dialing side of a channel over `port` once its other end went to whoever answers (an acceptor,
 * or a worker that opens a connection for us): resolves when it answers `open`, rejects typed when
 * it refuses, or with ERR_CHANNEL_ABORTED when `signal` aborts first.
 */
export async function awaitAnswer(port: PortLike, name: string, window: number, signal?: AbortSignal): Promise<Channel> {
  const channel = new MessagePortChannel(port, name, window);
  if (signal?.aborted) channel.destroy(abortedError(name, signal));
  const onAbort = () => channel.destroy(abortedError(name, signal!));
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await channel.opened;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return channel;
}

/**
 * The answering side of `awaitAnswer`: a channel over `port` that is usable at once; call
 * `answer()` to open it for the dialer, or `answer(err)` to refuse it with `err`'s code.
 */
export function answerDial(port: PortLike, name: string, window = DEFAULT_WINDOW): Channel & { answer(refusal?: Error): void } {
  return new MessagePortChannel(port, name, window);
}

/** Accepts the channels a `messagePortDialer` sends over `control`. */
export function messagePortAcceptor(control: PortLike, options: { window?: number; backlog?: number } = {}): Acceptor {
  const queue = new AcceptQueue("port", options.backlog);
  const onDial = (event: Event) => {
    const m = (event as MessageEvent).data as { t?: unknown; name?: unknown; port?: unknown } | null;
    if (typeof m !== "object" || m === null || m.t !== "dial" || typeof m.name !== "string" || !isPort(m.port)) return;
    const channel = new MessagePortChannel(m.port, m.name.slice(0, 200), options.window ?? DEFAULT_WINDOW);
    if (queue.offer(channel)) channel.answer();
    else channel.answer(new ChannelError("ERR_ACCEPTOR_CLOSED", channel.name, "acceptor closed or backlog full"));
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
