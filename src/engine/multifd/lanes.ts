import type { Channel } from "../../transport/types.js";
import { Wakeup } from "./wakeup.js";

/** What one channel carried. */
export interface ChannelTraffic {
  channel: string;
  /** Bytes on the wire: packet headers, payloads and checksum trailers. */
  bytes: number;
  packets: number;
}

interface Lane extends ChannelTraffic {
  readonly target: Channel;
  inFlight: number;
}

/**
 * Spreads packet writes over channels: a packet goes to the channel with the fewest writes in
 * flight (round-robin among equals), and a caller waits while every channel has `depth` in flight.
 * A write's completion callback runs when the channel no longer needs the bytes.
 */
export class Lanes {
  private readonly lanes: Lane[];
  private readonly depth: number;
  private readonly changed = new Wakeup();
  private turn = 0;
  private pending = 0;

  constructor(channels: readonly Channel[], depth: number) {
    this.lanes = channels.map((target) => ({ target, channel: target.name, bytes: 0, packets: 0, inFlight: 0 }));
    this.depth = depth;
  }

  traffic(): ChannelTraffic[] {
    return this.lanes.map(({ channel, bytes, packets }) => ({ channel, bytes, packets }));
  }

  /**
   * Waits for a channel with room, then writes `bytes` to it. `done(error)` runs when the write
   * settles; the caller must not touch `bytes` before that.
   */
  async send(bytes: Uint8Array, stop: () => Error | undefined, done: (error?: unknown) => void): Promise<void> {
    for (;;) {
      const failure = stop();
      if (failure) throw failure;
      if (this.trySend(bytes, done)) return;
      await this.changed.wait();
    }
  }

  /** `send()` without waiting: writes `bytes` and returns true if a channel has room, else false. */
  trySend(bytes: Uint8Array, done: (error?: unknown) => void): boolean {
    const chosen = this.pick();
    if (!chosen) return false;
    chosen.inFlight++;
    this.pending++;
    chosen.target.write(bytes).then(
      () => {
        chosen.bytes += bytes.length;
        chosen.packets++;
        this.settle(chosen);
        done();
      },
      (error: unknown) => {
        this.settle(chosen);
        done(error);
      },
    );
    return true;
  }

  /** Resolves once no write is in flight. */
  async drain(): Promise<void> {
    while (this.pending > 0) await this.changed.wait();
  }

  /** Wakes waiters so they re-check their stop condition. */
  interrupt(): void {
    this.changed.notify();
  }

  private settle(lane: Lane): void {
    lane.inFlight--;
    this.pending--;
    // One write settled: one waiting sender can use its room (each woken send() that finds room
    // writes); once none is in flight, drain() must hear it too.
    if (this.pending === 0) this.changed.notify();
    else this.changed.notifyOne();
  }

  private pick(): Lane | undefined {
    let best: Lane | undefined;
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[(this.turn + i) % this.lanes.length];
      if (lane.inFlight < this.depth && (!best || lane.inFlight < best.inFlight)) best = lane;
    }
    if (best) this.turn = (this.lanes.indexOf(best) + 1) % this.lanes.length;
    return best;
  }
}
