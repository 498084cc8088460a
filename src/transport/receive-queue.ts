import { ChannelError } from "./errors.js";
import type { ReadSink } from "./types.js";

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
  /** Chunks from `head` on are unread; a head index, not shift(), keeps many tiny chunks linear. */
  private chunks: Chunk[] = [];
  private head = 0;
  private bufferedBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  /** A peer's abort that arrived behind data: reads get that data first, then this error. */
  private failureAfterQueued: Error | undefined;
  private pending: { target: Uint8Array; resolve: (n: number) => void; reject: (e: Error) => void } | undefined;
  /** Set by `readInto`: every byte goes to it instead of to `read`. */
  private sink: ReadSink | undefined;
  private sinkSettled = false;

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
    if (this.failure || this.failureAfterQueued || this.ended) {
      release?.();
      return;
    }
    if (bytes.length === 0) {
      release?.();
      return;
    }
    this.chunks.push({ bytes, release });
    this.bufferedBytes += bytes.length;
    if (this.sink) return this.drain();
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      pending.resolve(this.copyOut(pending.target));
    }
  }

  /** The peer ended its direction: reads return 0 once the queue is empty. */
  end(): void {
    this.ended = true;
    if (this.sink) return this.drain();
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
    for (let i = this.head; i < this.chunks.length; i++) this.chunks[i].release?.();
    this.chunks = [];
    this.head = 0;
    this.bufferedBytes = 0;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
    if (this.sink && !this.sinkSettled) {
      this.sinkSettled = true;
      this.sink.failed(err);
    }
  }

  /** Like `fail`, once the bytes already queued have been read (a peer's reset behind its data). */
  failAfterQueued(err: Error): void {
    if (this.failure || this.failureAfterQueued) return;
    if (this.bufferedBytes === 0) return this.fail(err);
    this.failureAfterQueued = err;
  }

  read(target: Uint8Array): Promise<number> {
    if (this.bufferedBytes === 0 && this.failureAfterQueued) this.fail(this.failureAfterQueued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending || this.sink) {
      return Promise.reject(new ChannelError("ERR_CHANNEL_USAGE", this.channelName(), this.sink ? "read after readInto" : "a read is already pending"));
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

  /** `Channel.readInto`: queued bytes first, then everything that arrives, go to `sink`. */
  readInto(sink: ReadSink): () => void {
    if (this.pending || this.sink) throw new ChannelError("ERR_CHANNEL_USAGE", this.channelName(), "readInto while a reader is attached");
    this.sink = sink;
    if (this.failure) {
      this.sinkSettled = true;
      sink.failed(this.failure);
    } else {
      this.drain();
    }
    return () => this.drain();
  }

  /**
   * Where the transport may write its next bytes itself (then `landed`): the sink's target, when
   * nothing is queued ahead of them. Undefined otherwise: the transport pushes as usual.
   */
  directTarget(): Uint8Array | undefined {
    if (!this.sink || this.sinkSettled || this.bufferedBytes > 0 || this.failure || this.ended) return undefined;
    return this.sink.target();
  }

  /** `n` bytes were written into the last `directTarget()`. */
  landed(n: number): void {
    if (this.sink && !this.sinkSettled && n > 0) this.sink.landed(n);
  }

  /** Hands queued bytes to the sink while it has room; tells it of the end once all are handed over. */
  private drain(): void {
    const sink = this.sink;
    if (!sink || this.sinkSettled || this.failure) return;
    while (this.bufferedBytes > 0) {
      const target = sink.target();
      if (!target || this.sinkSettled) return;
      sink.landed(this.copyOut(target));
      if (this.sinkSettled || this.failure) return;
    }
    if (this.failureAfterQueued) return this.fail(this.failureAfterQueued);
    if (this.ended) {
      this.sinkSettled = true;
      sink.ended();
    }
  }

  private copyOut(target: Uint8Array): number {
    let filled = 0;
    while (filled < target.length && this.head < this.chunks.length) {
      const chunk = this.chunks[this.head];
      const n = Math.min(chunk.bytes.length, target.length - filled);
      target.set(n === chunk.bytes.length ? chunk.bytes : chunk.bytes.subarray(0, n), filled);
      filled += n;
      if (n === chunk.bytes.length) {
        this.head++;
        chunk.release?.();
      } else {
        chunk.bytes = chunk.bytes.subarray(n);
      }
    }
    this.bufferedBytes -= filled;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    this.onConsumed();
    return filled;
  }
}
