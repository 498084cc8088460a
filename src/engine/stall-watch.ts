// Stall detection: a channel that makes no progress while its session waits on it fails, so no
// migration waits forever on a silent peer (docs/reliability.md, guarantee 4).
import type { Clock, ClockTimer } from "../clock.js";
import type { Channel, ReadSink } from "../transport/types.js";
import { ChannelStalledError } from "./errors.js";

/**
 * A Channel that destroys itself with ERR_CHANNEL_STALLED once it has been waiting for `stallMs`
 * with nothing moving. It waits while a write is pending (the peer does not take our bytes), or
 * while a read is pending and the session has marked the channel `awaiting` (the protocol says the
 * peer must send now). A read pending while not awaited is an idle peer, not a stall. Any byte read
 * and any write taken is progress. The timer runs only while waiting, on the session's clock.
 * `readInto` passes through when the inner channel has it (a socket then reads straight into the
 * reader's memory): the reader counts as a pending read while it has room for bytes.
 */
export class WatchedChannel implements Channel {
  readonly #inner: Channel;
  readonly #clock: Clock;
  readonly #stallMs: number;
  #awaiting = false;
  #pendingWrites = 0;
  #readPending = false;
  #waitingSince = 0;
  #timer: ClockTimer | undefined;
  #done = false;

  constructor(inner: Channel, clock: Clock, stallMs: number) {
    this.#inner = inner;
    this.#clock = clock;
    this.#stallMs = stallMs;
    void inner.closed.then(() => this.#stop());
  }

  get name(): string {
    return this.#inner.name;
  }

  set name(value: string) {
    this.#inner.name = value;
  }

  get closed(): Promise<void> {
    return this.#inner.closed;
  }

  /** Whether the protocol expects the peer to send now (a pending read then counts as waiting). */
  set awaiting(value: boolean) {
    this.#change(() => (this.#awaiting = value));
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.#change(() => this.#pendingWrites++);
    try {
      await this.#inner.write(bytes);
    } finally {
      this.#change(() => this.#pendingWrites--);
      this.#progress();
    }
  }

  async read(target: Uint8Array): Promise<number> {
    this.#change(() => (this.#readPending = true));
    try {
      const n = await this.#inner.read(target);
      if (n > 0) this.#progress();
      return n;
    } finally {
      this.#change(() => (this.#readPending = false));
    }
  }

  /**
   * Present only when the inner channel has it. The sink counts as a pending read while it has
   * room: from attaching, and again on every `wake`, until its `target()` says none (then it is
   * our own reader that is behind, not the peer); every byte landed is progress.
   */
  get readInto(): ((sink: ReadSink) => () => void) | undefined {
    const inner = this.#inner;
    if (!inner.readInto) return undefined;
    return (sink) => {
      const watched: ReadSink = {
        target: () => {
          const target = sink.target();
          if (this.#readPending !== (target !== undefined)) this.#change(() => (this.#readPending = target !== undefined));
          return target;
        },
        landed: (n) => {
          this.#progress();
          sink.landed(n);
        },
        ended: () => {
          this.#change(() => (this.#readPending = false));
          sink.ended();
        },
        failed: (error) => {
          this.#change(() => (this.#readPending = false));
          sink.failed(error);
        },
      };
      this.#change(() => (this.#readPending = true));
      const wake = inner.readInto!(watched);
      return () => {
        if (!this.#readPending) this.#change(() => (this.#readPending = true));
        wake();
      };
    };
  }

  end(): Promise<void> {
    return this.#inner.end();
  }

  destroy(reason?: Error): void {
    this.#stop();
    this.#inner.destroy(reason);
  }

  get #waiting(): boolean {
    return !this.#done && (this.#pendingWrites > 0 || (this.#awaiting && this.#readPending));
  }

  /** Applies a change; a wait that begins starts its clock now. */
  #change(apply: () => void): void {
    const before = this.#waiting;
    apply();
    if (!before && this.#waiting) this.#waitingSince = this.#clock.now();
    this.#arm();
  }

  #progress(): void {
    this.#waitingSince = this.#clock.now();
  }

  #arm(): void {
    if (!this.#waiting || this.#timer) return;
    this.#timer = this.#clock.setTimeout(() => this.#check(), this.#waitingSince + this.#stallMs - this.#clock.now());
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#waiting) return;
    if (this.#clock.now() - this.#waitingSince >= this.#stallMs) {
      this.destroy(new ChannelStalledError(this.name, this.#stallMs));
      return;
    }
    this.#arm();
  }

  #stop(): void {
    this.#done = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
