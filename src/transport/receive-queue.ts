import { ChannelError } from "./errors.js";

interface Chunk {
  bytes: Uint8Array;
  /** Returns the chunk's memory to whoever lent it (a pool slot) once fully read. */
  release: (() => void) | undefined;
}

/**
 * The receive side every transport shares: received chunks wait here in order until `read(target)`
 * copies them out. The transport pushes what arrives and asks `buffered` / `hasReader` to decide
 * when to stop reading from its source (its receive-side backpressure); `onConsumed` tells it that
 * bytes left the queue or a reader is waiting.
 */
export class ReceiveQueue {
  private readonly chunks: Chunk[] = [];
  private bufferedBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private pending: { target: Uint8Array; resolve: (n: number) => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly channelName: () => string,
    private readonly onConsumed: () => void = () => {},
  ) {}

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** A read is waiting for bytes. */
  get hasReader(): boolean {
    return this.pending !== undefined;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Appends received bytes; `release` runs when they have all been read or the queue failed. */
  push(bytes: Uint8Array, release?: () => void): void {
    if (this.failure || this.ended) {
      release?.();
      return;
    }
    if (bytes.length === 0) {
      release?.();
      return;
    }
    this.chunks.push({ bytes, release });
    this.bufferedBytes += bytes.length;
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      pending.resolve(this.copyOut(pending.target));
    }
  }

  /** The peer ended its direction: reads return 0 once the queue is empty. */
  end(): void {
    this.ended = true;
    const pending = this.pending;
    if (pending && this.bufferedBytes === 0) {
      this.pending = undefined;
      pending.resolve(0);
    }
  }

  /** The channel failed: queued bytes are dropped and the pending read rejects with `err`. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const chunk of this.chunks) chunk.release?.();
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  read(target: Uint8Array): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) {
      return Promise.reject(new ChannelError("ERR_CHANNEL_USAGE", this.channelName(), "a read is already pending"));
    }
    if (target.length === 0) {
      return Promise.reject(new ChannelError("ERR_CHANNEL_USAGE", this.channelName(), "read into an empty buffer"));
    }
    if (this.bufferedBytes > 0) return Promise.resolve(this.copyOut(target));
    if (this.ended) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      this.pending = { target, resolve, reject };
      this.onConsumed();
    });
  }

  private copyOut(target: Uint8Array): number {
    let filled = 0;
    while (filled < target.length && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const n = Math.min(chunk.bytes.length, target.length - filled);
      target.set(n === chunk.bytes.length ? chunk.bytes : chunk.bytes.subarray(0, n), filled);
      filled += n;
      if (n === chunk.bytes.length) {
        this.chunks.shift();
        chunk.release?.();
      } else {
        chunk.bytes = chunk.bytes.subarray(n);
      }
    }
    this.bufferedBytes -= filled;
    this.onConsumed();
    return filled;
  }
}
