// The destination's door: every connection the acceptor delivers is sorted by what it says first,
// so a silent, slow or foreign connection never takes the place of the real source's. The first
// connection whose first be32 is "QEVM" is the main channel; one that starts with the multifd magic
// and a whole 64-byte hello goes to the multifd receiver; one that starts with "QEVR" is a
// recovery query (the commit protocol's); anything else is closed as soon as a byte shows it is
// none of these. Connections still saying who they are are bounded by count (a new one pushes out
// the oldest) and by time (closed after `identifyTimeoutMs` on the session's clock), so idle or
// one-byte-every-2-s connections hold nothing for long.
import { MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, QEMU_VM_FILE_MAGIC, RECOVERY_MAGIC } from "../codec/index.js";
import { realClock, type Clock } from "../clock.js";
import { ChannelError } from "../transport/errors.js";
import type { Acceptor, Channel } from "../transport/types.js";

/** Connections that may be saying who they are at once (default). */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 8;
/** How long a connection may take to say who it is (default; the session passes its setup timeout). */
export const DEFAULT_IDENTIFY_TIMEOUT_MS = 5000;

const MAGIC_BYTES = 4;
const be32 = (value: number): Uint8Array => Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
const MAIN_MAGIC = be32(QEMU_VM_FILE_MAGIC);
const MULTIFD_MAGIC_BYTES = be32(MULTIFD_MAGIC);
const RECOVERY_MAGIC_BYTES = be32(RECOVERY_MAGIC);

export interface IncomingOptions {
  maxPending?: number;
  clock?: Clock;
  identifyTimeoutMs?: number;
}

/** A multifd connection whose 64-byte hello has arrived (not yet checked: the session knows the uuid). */
export interface IncomingMultifd {
  channel: Channel;
  hello: Uint8Array;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

/** Identified connections of one kind waiting to be taken: at most `max` queued, one taker at a time. */
class Handoff<T> {
  readonly #ready: T[] = [];
  #waiter: Waiter<T> | undefined;

  constructor(private readonly max: number) {}

  /** Gives `item` to the waiting taker, or queues it; false when the queue is full (the caller refuses it). */
  offer(item: T): boolean {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(item);
    } else if (this.#ready.length < this.max) {
      this.#ready.push(item);
    } else {
      return false;
    }
    return true;
  }

  /** The next item; when none is queued, waits for one until `signal` aborts (then rejects with `aborted()`). */
  take(signal?: AbortSignal, aborted?: () => Error): Promise<T> {
    const ready = this.#ready.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#waiter === waiter) this.#waiter = undefined;
        reject(aborted!());
      };
      const waiter: Waiter<T> = {
        resolve: (item) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(item);
        },
        reject: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      if (signal?.aborted) return onAbort();
      this.#waiter = waiter;
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Fails the waiting taker with `err`; false when nobody waits. */
  failTaker(err: Error): boolean {
    const waiter = this.#waiter;
    if (!waiter) return false;
    this.#waiter = undefined;
    waiter.reject(err);
    return true;
  }

  /** Empties the queue (the caller disposes of what was never taken). */
  drain(): T[] {
    return this.#ready.splice(0);
  }
}

export class IncomingChannels {
  readonly #acceptor: Acceptor;
  readonly #maxPending: number;
  readonly #clock: Clock;
  readonly #identifyTimeoutMs: number;
  readonly #stop = new AbortController();
  /** Connections still saying who they are, oldest first. */
  readonly #pending = new Set<Channel>();
  /** Multifd connections whose hello arrived, waiting for `multifd()`. */
  readonly #multifd: Handoff<IncomingMultifd>;
  /** Recovery connections (their magic read again), waiting for `recovery()`. */
  readonly #recovery: Handoff<Channel>;
  #main: Channel | undefined;
  #mainWaiter: Waiter<Channel> | undefined;
  /** An accept failure for the next waiter (a refused TLS peer, a closed acceptor). */
  #failure: Error | undefined;
  #closed = false;

  constructor(acceptor: Acceptor, options: IncomingOptions = {}) {
    this.#acceptor = acceptor;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_CONNECTIONS;
    this.#multifd = new Handoff(this.#maxPending);
    this.#recovery = new Handoff(this.#maxPending);
    this.#clock = options.clock ?? realClock;
    this.#identifyTimeoutMs = options.identifyTimeoutMs ?? DEFAULT_IDENTIFY_TIMEOUT_MS;
    void this.#acceptLoop();
  }

  /** The main channel: the first connection that starts with "QEVM" (those 4 bytes are read again). */
  main(): Promise<Channel> {
    if (this.#main) return Promise.resolve(this.#main);
    return new Promise<Channel>((resolve, reject) => {
      this.#mainWaiter = { resolve, reject };
      this.#deliverFailure();
    });
  }

  /** The next multifd connection with its hello read. */
  multifd(): Promise<IncomingMultifd> {
    const next = this.#multifd.take();
    this.#deliverFailure();
    return next;
  }

  /** The next recovery connection, its magic read again (rejects with ERR_CHANNEL_ABORTED when `signal` aborts). */
  recovery(signal?: AbortSignal): Promise<Channel> {
    // Closed: nothing will arrive (close() destroyed whatever was queued).
    if (this.#closed) return Promise.reject(new ChannelError("ERR_ACCEPTOR_CLOSED", "recovery", "closed"));
    return this.#recovery.take(signal, () => new ChannelError("ERR_CHANNEL_ABORTED", "recovery", "stopped waiting for a recovery connection"));
  }

  /** Stops accepting; connections not handed out are destroyed (handed-out ones are the caller's). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    const reason = (c: Channel) => new ChannelError("ERR_ACCEPTOR_CLOSED", c.name, "the migration ended before this connection was used");
    for (const c of this.#pending) c.destroy(reason(c));
    this.#pending.clear();
    for (const m of this.#multifd.drain()) m.channel.destroy(reason(m.channel));
    for (const c of this.#recovery.drain()) c.destroy(reason(c));
    const closed = new ChannelError("ERR_ACCEPTOR_CLOSED", "incoming", "closed");
    this.#mainWaiter?.reject(closed);
    this.#multifd.failTaker(closed);
    this.#recovery.failTaker(closed);
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let channel: Channel;
      try {
        channel = await this.#acceptor.accept(this.#stop.signal);
      } catch (err) {
        if (this.#closed) return;
        this.#failure = err as Error;
        this.#deliverFailure();
        // A refused peer (TLS) leaves the acceptor open; anything else (closed) ends the loop.
        if ((err as { code?: string }).code === "ERR_TLS_HANDSHAKE") continue;
        return;
      }
      if (this.#closed) {
        channel.destroy();
        return;
      }
      if (this.#pending.size >= this.#maxPending) {
        const oldest = this.#pending.values().next().value!;
        this.#pending.delete(oldest);
        oldest.destroy(new ChannelError("ERR_CHANNEL_REFUSED", oldest.name, `pushed out: ${this.#maxPending} connections were already waiting to say who they are`));
      }
      this.#pending.add(channel);
      void this.#identify(channel);
    }
  }

  /** Reads the connection's first bytes, exactly as many as needed, and hands it on or closes it. */
  async #identify(channel: Channel): Promise<void> {
    const head = new Uint8Array(MULTIFD_HELLO_BYTES);
    let have = 0;
    const timer = this.#clock.setTimeout(
      () => channel.destroy(new ChannelError("ERR_CHANNEL_REFUSED", channel.name, `did not say what it is within ${this.#identifyTimeoutMs} ms`)),
      this.#identifyTimeoutMs,
    );
    try {
      for (let need = MAGIC_BYTES; have < need; ) {
        const n = await channel.read(head.subarray(have, need));
        if (n === 0) throw new ChannelError("ERR_CHANNEL_PEER_CLOSED", channel.name, "closed before saying what it is");
        have += n;
        const kind = kindOf(head.subarray(0, Math.min(have, MAGIC_BYTES)));
        if (kind === undefined) throw new ChannelError("ERR_CHANNEL_REFUSED", channel.name, "neither a migration stream nor a multifd channel");
        if (kind === "multifd") need = MULTIFD_HELLO_BYTES;
      }
    } catch (err) {
      this.#pending.delete(channel);
      channel.destroy(err as Error);
      return;
    } finally {
      this.#clock.clearTimeout(timer);
    }
    if (!this.#pending.delete(channel)) return; // pushed out or closed meanwhile
    const kind = kindOf(head.subarray(0, MAGIC_BYTES));
    if (kind === "main") this.#offerMain(channel, head.slice(0, MAGIC_BYTES));
    else if (kind === "multifd") this.#offerMultifd({ channel, hello: head });
    else this.#offerRecovery(replaying(channel, head.slice(0, MAGIC_BYTES)));
  }

  #offerRecovery(channel: Channel): void {
    if (!this.#recovery.offer(channel)) channel.destroy(new ChannelError("ERR_CHANNEL_REFUSED", channel.name, "too many recovery connections waiting"));
  }

  #offerMain(channel: Channel, magic: Uint8Array): void {
    if (this.#main) {
      channel.destroy(new ChannelError("ERR_CHANNEL_REFUSED", channel.name, "a second migration stream while one is under way"));
      return;
    }
    this.#main = replaying(channel, magic);
    this.#mainWaiter?.resolve(this.#main);
    this.#mainWaiter = undefined;
  }

  #offerMultifd(m: IncomingMultifd): void {
    if (!this.#multifd.offer(m)) m.channel.destroy(new ChannelError("ERR_CHANNEL_REFUSED", m.channel.name, "more multifd channels than could be used"));
  }

  /** Hands an accept failure to whoever waits for the next connection: the main waiter, then multifd's. */
  #deliverFailure(): void {
    const err = this.#failure;
    if (!err) return;
    if (this.#main) {
      if (this.#multifd.failTaker(err)) this.#failure = undefined;
    } else if (this.#mainWaiter) {
      this.#failure = undefined;
      this.#mainWaiter.reject(err);
      this.#mainWaiter = undefined;
    }
  }
}

/** The kind whose magic `prefix` (1 to 4 bytes) begins, else undefined. */
function kindOf(prefix: Uint8Array): "main" | "multifd" | "recovery" | undefined {
  const starts = (magic: Uint8Array) => prefix.every((b, i) => b === magic[i]);
  if (starts(MULTIFD_MAGIC_BYTES)) return "multifd";
  // "QEVM" and "QEVR" share three bytes: the fourth tells them apart.
  if (starts(MAIN_MAGIC)) return "main";
  return starts(RECOVERY_MAGIC_BYTES) ? "recovery" : undefined;
}

/** `channel` with `prefix` (bytes already read from it) read again first. */
function replaying(channel: Channel, prefix: Uint8Array): Channel {
  let rest = prefix;
  return {
    get name() {
      return channel.name;
    },
    set name(name: string) {
      channel.name = name;
    },
    read(target: Uint8Array): Promise<number> {
      if (rest.length === 0) return channel.read(target);
      const n = Math.min(rest.length, target.length);
      target.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      return Promise.resolve(n);
    },
    write: (bytes) => channel.write(bytes),
    end: () => channel.end(),
    destroy: (reason) => channel.destroy(reason),
    closed: channel.closed,
  };
}
