import type { Acceptor, Channel, Dialer } from "./types.js";
import { AcceptQueue } from "./accept-queue.js";
import { ChannelError, abortedError, destroyedError } from "./errors.js";
import { ReceiveQueue } from "./receive-queue.js";
import { WriteQueue } from "./write-queue.js";

export interface MemoryPairOptions {
  /** Bytes a side may have received and not yet read; writers wait beyond it. Default 1 MiB. */
  capacity?: number;
  /** Names of the two ends. Default `["memory/a", "memory/b"]`. */
  names?: [string, string];
}

const DEFAULT_CAPACITY = 1 << 20;

class MemoryChannel implements Channel {
  peer!: MemoryChannel;
  readonly incoming: ReceiveQueue;
  private readonly outgoing: WriteQueue;
  private ending: Promise<void> | undefined;
  private sentEnd = false;
  private destroyed = false;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    public name: string,
    capacity: number,
  ) {
    this.incoming = new ReceiveQueue(() => this.name, () => this.peer.outgoing.pump());
    // Each slice is copied: the writer may reuse its buffer once write() resolves.
    this.outgoing = new WriteQueue(
      () => capacity - this.peer.incoming.buffered,
      (slice) => this.peer.incoming.push(slice.slice()),
      capacity,
      Math.ceil(capacity / 4),
    );
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.ending && !this.destroyed) {
      return Promise.reject(new ChannelError("ERR_CHANNEL_USAGE", this.name, "write after end"));
    }
    return this.outgoing.write(bytes);
  }

  read(target: Uint8Array): Promise<number> {
    return this.incoming.read(target);
  }

  end(): Promise<void> {
    this.ending ??= this.outgoing.drained().then(() => {
      this.peer.incoming.end();
      this.sentEnd = true;
      this.settleIfDone();
      this.peer.settleIfDone();
    });
    return this.ending;
  }

  destroy(reason?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const err = reason ?? destroyedError(this.name);
    this.incoming.fail(err);
    this.outgoing.fail(err);
    this.resolveClosed();
    this.peer.peerDestroyed();
  }

  private peerDestroyed(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const err = new ChannelError("ERR_CHANNEL_RESET", this.name, "peer destroyed the channel");
    // What the peer sent before stays readable; then reads fail (or end, if it had ended in order).
    if (!this.incoming.isEnded) this.incoming.failAfterQueued(err);
    this.outgoing.fail(err);
    this.resolveClosed();
  }

  private settleIfDone(): void {
    if (this.sentEnd && this.peer.sentEnd) this.resolveClosed();
  }
}

/** Two connected in-memory channels, for unit tests: what one writes, the other reads. */
export function memoryPair(options: MemoryPairOptions = {}): [Channel, Channel] {
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  if (!(capacity >= 1)) throw new RangeError(`memoryPair: capacity must be at least 1, got ${capacity}`);
  const [nameA, nameB] = options.names ?? ["memory/a", "memory/b"];
  const a = new MemoryChannel(nameA, capacity);
  const b = new MemoryChannel(nameB, capacity);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** A dialer and an acceptor joined in memory: each dial makes a `memoryPair` and hands one end over. */
export function memoryNetwork(options: { capacity?: number; backlog?: number } = {}): { dialer: Dialer; acceptor: Acceptor } {
  const queue = new AcceptQueue("memory", options.backlog);
  const dialer: Dialer = {
    async dial(name: string, signal?: AbortSignal): Promise<Channel> {
      if (signal?.aborted) throw abortedError(name, signal);
      const [local, remote] = memoryPair({ capacity: options.capacity, names: [name, name] });
      if (!queue.offer(remote)) {
        local.destroy();
        throw new ChannelError("ERR_CHANNEL_REFUSED", name, "memory acceptor is closed or its backlog is full");
      }
      return local;
    },
  };
  const acceptor: Acceptor = {
    accept: (signal) => queue.accept(signal),
    close: async () => queue.close(),
  };
  return { dialer, acceptor };
}
