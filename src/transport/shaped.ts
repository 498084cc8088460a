import { realClock, type Clock } from "../clock.js";
import type { Acceptor, Channel, Dialer } from "./types.js";
import { ChannelError, destroyedError } from "./errors.js";

/** How a shaped link treats what is written into it (the write direction of the wrapped channel). */
export interface LinkShape {
  /** Cap in bytes per second; 0 or absent: unlimited. */
  bandwidth?: number;
  /** Added one-way delay in ms before written bytes reach the channel below (pipelined). */
  latencyMs?: number;
  /** Up to this many ms more per write, drawn from `random`; bytes never overtake earlier ones (a stream keeps its order). */
  jitterMs?: number;
  /** Uniform [0, 1) numbers for the jitter; a simulation passes a seeded one. Default Math.random. */
  random?: () => number;
  /** Cut the link once this many bytes went through: the peer sees a reset, we see ERR_CHANNEL_FAULT. */
  dropAfterBytes?: number;
  /** Flip every bit of the byte at this offset of the written stream (0-based). */
  corruptByte?: number;
  /** Hold the link for `stallMs` once this many bytes went through (a stall; Infinity = never resumes). */
  stallAtByte?: number;
  stallMs?: number;
  /** A wire this channel shares with others: its bandwidth (not `bandwidth`) caps them all together. */
  wire?: Wire;
  /** Time source for pacing and latency; default the real one. A simulation passes a VirtualClock. */
  clock?: Clock;
}

/**
 * One physical link that several channels cross (a migration's main and multifd channels share one
 * NIC): channels shaped with the same Wire take turns at its bandwidth instead of each having its own.
 */
export class Wire {
  /** When the wire is free for the next slice, on the channels' clock. @internal */
  nextSendAt = 0;

  constructor(readonly bandwidth: number) {
    if (!(bandwidth >= 0)) throw new RangeError(`wire bandwidth must not be negative, got ${bandwidth}`);
  }
}

interface Queued {
  bytes: Uint8Array;
  due: number;
}

const MIN_SLICE = 16 * 1024;
const BASE_LINE_BYTES = 1 << 20;

/**
 * A Channel that forwards its writes to `inner` through a delay line: each write is copied (it may
 * go out after write() resolved), held until `latencyMs` after it was written, paced to
 * `bandwidth`, and subject to the injected faults. Writers wait while the line holds more than
 * 1 MiB plus a bandwidth-delay product, so backpressure still reaches them. Reads pass through.
 */
class ShapedChannel implements Channel {
  private readonly line: Queued[] = [];
  private lineBytes = 0;
  private readonly lineLimit: number;
  private forwarded = 0;
  /** This channel's own pacing, or the wire it shares. */
  private readonly pacing: { nextSendAt: number };
  private readonly bandwidth: number;
  private lastDue = -Infinity;
  private stalled = false;
  /** Aborted on failure: ends any wait of the pump, so a dead link leaves no timer behind. */
  private readonly stopped = new AbortController();
  private pumping = false;
  private failure: Error | undefined;
  private ending: Promise<void> | undefined;
  private spaceWaiters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private readonly clock: Clock;

  constructor(
    private readonly inner: Channel,
    private readonly shape: LinkShape,
  ) {
    const bandwidth = shape.wire?.bandwidth ?? shape.bandwidth ?? 0;
    this.bandwidth = bandwidth;
    this.pacing = shape.wire ?? { nextSendAt: 0 };
    if (bandwidth < 0 || (shape.latencyMs ?? 0) < 0 || (shape.jitterMs ?? 0) < 0 || (shape.stallMs ?? 0) < 0) {
      throw new RangeError(`${inner.name}: bandwidth, latency, jitter and stall must not be negative`);
    }
    this.lineLimit = BASE_LINE_BYTES + (bandwidth * (shape.latencyMs ?? 0)) / 1000;
    this.clock = shape.clock ?? realClock;
    // The peer reset the connection while bytes were still on the line (e.g. held by a stall): the
    // writer learns it, as a TCP sender does from the peer's RST.
    void inner.closed.then(() => {
      if (this.lineBytes > 0) this.fail(new ChannelError("ERR_CHANNEL_RESET", this.name, "peer reset the connection"));
    });
  }

  get name(): string {
    return this.inner.name;
  }

  set name(value: string) {
    this.inner.name = value;
  }

  get closed(): Promise<void> {
    return this.inner.closed;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.ending) throw new ChannelError("ERR_CHANNEL_USAGE", this.name, "write after end");
    if (bytes.length === 0) return;
    const jitter = this.shape.jitterMs ? (this.shape.random ?? Math.random)() * this.shape.jitterMs : 0;
    this.lastDue = Math.max(this.lastDue, this.clock.now() + (this.shape.latencyMs ?? 0) + jitter);
    this.line.push({ bytes: bytes.slice(), due: this.lastDue });
    this.lineBytes += bytes.length;
    void this.pump();
    while (this.lineBytes > this.lineLimit && !this.failure) await new Promise<void>((r) => this.spaceWaiters.push(r));
    if (this.failure) throw this.failure;
  }

  async read(target: Uint8Array): Promise<number> {
    if (this.failure) throw this.failure;
    return this.inner.read(target);
  }

  end(): Promise<void> {
    this.ending ??= (async () => {
      while (this.lineBytes > 0 && !this.failure) await new Promise<void>((r) => this.drainWaiters.push(r));
      if (this.failure) throw this.failure;
      await this.inner.end();
    })();
    return this.ending;
  }

  destroy(reason?: Error): void {
    this.fail(reason ?? destroyedError(this.name));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.line.length = 0;
    this.lineBytes = 0;
    this.inner.destroy(err);
    this.stopped.abort(err);
    this.wake();
  }

  private wake(): void {
    for (const w of this.spaceWaiters.splice(0)) w();
    if (this.lineBytes === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.line.length > 0 && !this.failure) {
        const head = this.line[0];
        const due = head.due - this.clock.now();
        if (due > 0) await this.sleep(due);
        if (this.failure) return;
        const bandwidth = this.bandwidth;
        const sliceLength = bandwidth > 0 ? Math.max(MIN_SLICE, Math.floor(bandwidth / 100)) : head.bytes.length;
        let slice = head.bytes.subarray(0, Math.min(sliceLength, head.bytes.length));
        const stallAt = this.stalled ? undefined : this.shape.stallAtByte;
        if (stallAt !== undefined && stallAt <= this.forwarded) {
          await this.stall();
          continue;
        }
        // A slice ends where the stall begins.
        if (stallAt !== undefined && stallAt < this.forwarded + slice.length) slice = slice.subarray(0, stallAt - this.forwarded);
        const cut = this.shape.dropAfterBytes !== undefined && this.forwarded + slice.length >= this.shape.dropAfterBytes;
        if (cut) slice = slice.subarray(0, this.shape.dropAfterBytes! - this.forwarded);
        // Reserve the slice's time on the link before waiting, so channels sharing a wire take turns.
        const start = Math.max(this.pacing.nextSendAt, this.clock.now());
        if (bandwidth > 0) this.pacing.nextSendAt = start + (slice.length * 1000) / bandwidth;
        const wait = start - this.clock.now();
        if (wait > 0) await this.sleep(wait);
        if (this.failure) return;
        this.corrupt(slice);
        if (slice.length > 0) await this.inner.write(slice);
        this.forwarded += slice.length;
        if (cut) {
          return this.fail(new ChannelError("ERR_CHANNEL_FAULT", this.name, `injected fault: link dropped after ${this.forwarded} bytes`));
        }
        head.bytes = head.bytes.subarray(slice.length);
        if (head.bytes.length === 0) this.line.shift();
        this.lineBytes -= slice.length;
        this.wake();
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.pumping = false;
    }
  }

  /** Holds the link once, for `stallMs` (forever, until destroyed, when Infinity or absent). */
  private async stall(): Promise<void> {
    this.stalled = true;
    await this.sleep(this.shape.stallMs ?? Infinity);
  }

  /** Waits `ms` on the clock (Infinity: until destroyed); a failure ends the wait early. */
  private async sleep(ms: number): Promise<void> {
    const { signal } = this.stopped;
    if (ms !== Infinity) return this.clock.sleep(ms, signal).catch(() => {});
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  }

  private corrupt(slice: Uint8Array): void {
    const at = (this.shape.corruptByte ?? -1) - this.forwarded;
    if (at >= 0 && at < slice.length) slice[at] ^= 0xff;
  }
}

/** Wraps a channel in a shaped link (bandwidth cap, latency, injected faults) for tests and simulations. */
export function shapeChannel(channel: Channel, shape: LinkShape): Channel {
  return new ShapedChannel(channel, shape);
}

/** A Dialer whose channels are shaped; `shape` may depend on the channel's name (e.g. fault only `main`). */
export function shapeDialer(dialer: Dialer, shape: LinkShape | ((name: string) => LinkShape)): Dialer {
  return {
    async dial(name: string, signal?: AbortSignal): Promise<Channel> {
      const channel = await dialer.dial(name, signal);
      return shapeChannel(channel, typeof shape === "function" ? shape(name) : shape);
    },
  };
}
