// The destination's door: every connection the acceptor delivers is sorted by what it says first,
// so a silent, slow or foreign connection never takes the place of the real source's. The first
// connection whose first be32 is "QEVM" is the main channel; one that starts with the multifd magic
// and a whole 64-byte hello goes to the multifd receiver; anything else is closed as soon as a byte
// shows it is neither. Connections still saying who they are are bounded by count: a new one
// pushes out the oldest, so idle or one-byte-every-2-s connections can hold nothing for long.
import { MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, QEMU_VM_FILE_MAGIC } from "../codec/index.js";
import { ChannelError } from "../transport/errors.js";
import type { Acceptor, Channel } from "../transport/types.js";

/** Connections that may be saying who they are at once (default). */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 8;

const MAGIC_BYTES = 4;
const be32 = (value: number): Uint8Array => Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
const MAIN_MAGIC = be32(QEMU_VM_FILE_MAGIC);
const MULTIFD_MAGIC_BYTES = be32(MULTIFD_MAGIC);

/** A multifd connection whose 64-byte hello has arrived (not yet checked: the session knows the uuid). */
export interface IncomingMultifd {
  channel: Channel;
  hello: Uint8Array;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export class IncomingChannels {
  readonly #acceptor: Acceptor;
  readonly #maxPending: number;
  readonly #stop = new AbortController();
  /** Connections still saying who they are, oldest first. */
  readonly #pending = new Set<Channel>();
  /** Multifd connections whose hello arrived, waiting for `multifd()`; at most `maxPending`. */
  readonly #multifd: IncomingMultifd[] = [];
  #main: Channel | undefined;
  #mainWaiter: Waiter<Channel> | undefined;
  #multifdWaiter: Waiter<IncomingMultifd> | undefined;
  /** An accept failure for the next waiter (a refused TLS peer, a closed acceptor). */
  #failure: Error | undefined;
  #closed = false;

  constructor(acceptor: Acceptor, maxPending = DEFAULT_MAX_PENDING_CONNECTIONS) {
    this.#acceptor = acceptor;
    this.#maxPending = maxPending;
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
    const ready = this.#multifd.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise<IncomingMultifd>((resolve, reject) => {
      this.#multifdWaiter = { resolve, reject };
      this.#deliverFailure();
    });
  }

  /** Stops accepting; connections not handed out are destroyed (handed-out ones are the caller's). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    const reason = (c: Channel) => new ChannelError("ERR_ACCEPTOR_CLOSED", c.name, "the migration ended before this connection was used");
    for (const c of this.#pending) c.destroy(reason(c));
    this.#pending.clear();
    for (const m of this.#multifd.splice(0)) m.channel.destroy(reason(m.channel));
    const closed = new ChannelError("ERR_ACCEPTOR_CLOSED", "incoming", "closed");
    this.#mainWaiter?.reject(closed);
    this.#multifdWaiter?.reject(closed);
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
    }
    if (!this.#pending.delete(channel)) return; // pushed out or closed meanwhile
    if (kindOf(head.subarray(0, MAGIC_BYTES)) === "main") this.#offerMain(channel, head.slice(0, MAGIC_BYTES));
    else this.#offerMultifd({ channel, hello: head });
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
    const waiter = this.#multifdWaiter;
    if (waiter) {
      this.#multifdWaiter = undefined;
      waiter.resolve(m);
    } else if (this.#multifd.length < this.#maxPending) {
      this.#multifd.push(m);
    } else {
      m.channel.destroy(new ChannelError("ERR_CHANNEL_REFUSED", m.channel.name, "more multifd channels than could be used"));
    }
  }

  #deliverFailure(): void {
    const err = this.#failure;
    if (!err) return;
    const waiter = this.#main ? this.#multifdWaiter : this.#mainWaiter;
    if (!waiter) return;
    this.#failure = undefined;
    if (waiter === this.#mainWaiter) this.#mainWaiter = undefined;
    else this.#multifdWaiter = undefined;
    waiter.reject(err);
  }
}

/** "main" or "multifd" if `prefix` (1 to 4 bytes) begins that magic, else undefined. */
function kindOf(prefix: Uint8Array): "main" | "multifd" | undefined {
  const starts = (magic: Uint8Array) => prefix.every((b, i) => b === magic[i]);
  return starts(MAIN_MAGIC) ? "main" : starts(MULTIFD_MAGIC_BYTES) ? "multifd" : undefined;
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
