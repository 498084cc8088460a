// Stall detection: a channel that makes no progress while its session waits on it fails, so no
// migration waits forever on a silent peer (docs/reliability.md, guarantee 4).
import type { Clock, ClockTimer } from "../clock.js";
import type { Channel, ReadSink } from "../transport/types.js";
import { ChannelStalledError } from "./errors.js";

/**
 * The progress of one session's channels together. The main channel is silent for as long as
 * multifd carries the state (a 4 GiB stop-copy with a checksum outlasted a 10 s stall timeout on a
 * loaded machine), so a wait counts as a stall only when no channel of the session moved.
 */
export class SessionProgress {
  #last = -Infinity;

  /** The instant of the latest byte moved on any of the session's channels. */
  get last(): number {
    return this.#last;
  }

  touch(now: number): void {
    if (now > this.#last) this.#last = now;
  }
}

/**
 * A Channel that destroys itself with ERR_CHANNEL_STALLED once it has been waiting for `stallMs`
 * with nothing moving on it or on any other channel of its session. It waits while a write is pending (the peer does not take our bytes), or
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
  readonly #session: SessionProgress;
  #awaiting = false;
  #pendingWrites = 0;
  #readPending = false;
  #waitingSince = 0;
  #timer: ClockTimer | undefined;
  #done = false;

  constructor(inner: Channel, clock: Clock, stallMs: number, session = new SessionProgress()) {
    this.#inner = inner;
    this.#clock = clock;
    this.#stallMs = stallMs;
    this.#session = session;
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

  /** A write taken is progress (a failed one too: the wait is over). */
  write(bytes: Uint8Array): Promise<void> {
    return this.#sending(() => this.#inner.write(bytes), true);
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

  /** An end waits for the peer to take what is buffered: a wait like a write's (a peer that never reads must not hold it forever). */
  end(): Promise<void> {
    return this.#sending(() => this.#inner.end(), false);
  }

  /** Counts `send` as a pending write (a wait on the peer) until it settles. */
  async #sending(send: () => Promise<void>, progress: boolean): Promise<void> {
    this.#change(() => this.#pendingWrites++);
    try {
      await send();
    } finally {
      this.#change(() => this.#pendingWrites--);
      if (progress) this.#progress();
    }
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
    this.#session.touch(this.#waitingSince);
  }

  /** When the current wait began, as far as the session knows: its last progress counts too. */
  get #since(): number {
    return Math.max(this.#waitingSince, this.#session.last);
  }

  #arm(): void {
    if (!this.#waiting || this.#timer) return;
    const since = this.#since;
    this.#timer = this.#clock.setTimeout(() => this.#check(since), since + this.#stallMs - this.#clock.now());
  }

  /**
   * The timer armed for a wait that began at `since` fired. If nothing moved since, that wait has
   * lasted `stallMs`: the timer's firing decides, not a second subtraction, which can round to just
   * under `stallMs` and re-arm a 0 ms timer forever at one virtual instant (DST seed 499).
   */
  #check(since: number): void {
    this.#timer = undefined;
    if (!this.#waiting) return;
    if (this.#since === since) {
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
