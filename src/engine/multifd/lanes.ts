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
  readonly index: number;
  readonly target: Channel;
  inFlight: number;
  /** The senders this lane is home to; once all have retired, it passes to one heir. */
  homeOf: number[];
}

/**
 * Spreads packet writes over channels, each sender (a device's save worker) on its own home lanes:
 * sender g's are lane g mod N when there are at least as many senders as channels, else every lane
 * j with j mod senders = g. A write goes to the home lane with the fewest writes in flight or
 * reserved (round-robin among equals); while none has room (`depth` in flight) the sender waits.
 * Why: a device's packets then arrive in idx order on one connection (or split over its own few),
 * so the destination writes each to the device as it lands, while it is in the cache, instead of
 * queueing it behind its predecessor on another connection. A lane whose senders have all retired
 * becomes a home lane of one heir the caller names (the device with the most left), so unequal
 * devices still use every channel without mixing several devices' order on a shared one.
 */
export class Lanes {
  private readonly lanes: Lane[];
  private readonly depth: number;
  /** Per sender: its home lanes, and what it waits on while none of its lanes has room. */
  private readonly homes: Lane[][];
  private readonly roomFor: Wakeup[];
  private readonly turns: number[];
  private readonly retired: boolean[];
  private readonly idle = new Wakeup();
  private pending = 0;

  constructor(channels: readonly Channel[], depth: number, senders: number) {
    this.lanes = channels.map((target, index) => ({ index, target, channel: target.name, bytes: 0, packets: 0, inFlight: 0, homeOf: [] }));
    this.depth = depth;
    const n = this.lanes.length;
    this.homes = Array.from({ length: senders }, (_, g) => (senders >= n ? [this.lanes[g % n]] : this.lanes.filter((_, j) => j % senders === g)));
    for (const [g, home] of this.homes.entries()) for (const lane of home) lane.homeOf.push(g);
    this.roomFor = this.homes.map(() => new Wakeup());
    this.turns = this.homes.map(() => 0);
    this.retired = this.homes.map(() => false);
  }

  traffic(): ChannelTraffic[] {
    return this.lanes.map(({ channel, bytes, packets }) => ({ channel, bytes, packets }));
  }

  /**
   * Sender `sender` reserves room for one write on a lane, waiting while none of its lanes has
   * room; then `write` (or `unreserve`) that lane. Reserving before the device fills the buffer
   * means the socket copies the bytes while they are still in the cache.
   */
  async reserve(sender: number, stop: () => Error | undefined): Promise<number> {
    for (;;) {
      const failure = stop();
      if (failure) throw failure;
      const lane = this.tryReserve(sender);
      if (lane !== undefined) return lane;
      await this.roomFor[sender].wait();
    }
  }

  /** `reserve()` without waiting: a lane number, or undefined while none has room. */
  tryReserve(sender: number): number | undefined {
    const chosen = this.pick(sender);
    if (!chosen) return undefined;
    chosen.inFlight++;
    this.pending++;
    return chosen.index;
  }

  /** Gives back a reservation that will not be written. */
  unreserve(lane: number): void {
    this.settle(this.lanes[lane]);
  }

  /**
   * Writes `bytes` on a reserved lane. `done(error)` runs when the write settles (the reservation
   * ends with it); the caller must not touch `bytes` before that.
   */
  write(lane: number, bytes: Uint8Array, done: (error?: unknown) => void): void {
    const chosen = this.lanes[lane];
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
  }

  /** Senders that have not retired. */
  active(): number[] {
    return this.retired.flatMap((done, g) => (done ? [] : [g]));
  }

  /**
   * Sender `sender` sends nothing more. Each of its home lanes that no other sender still calls
   * home becomes a home lane of the sender `heir()` names, one still sending (undefined: none is left).
   */
  retire(sender: number, heir: () => number | undefined): void {
    if (this.retired[sender]) return;
    this.retired[sender] = true;
    for (const lane of this.homes[sender]) {
      if (!lane.homeOf.every((g) => this.retired[g])) continue;
      const next = heir();
      if (next === undefined || this.retired[next]) continue;
      lane.homeOf = [next];
      this.homes[next].push(lane);
      this.roomFor[next].notify();
    }
  }

  /** Resolves once no write is in flight. */
  async drain(): Promise<void> {
    while (this.pending > 0) await this.idle.wait();
  }

  /** Wakes waiters so they re-check their stop condition. */
  interrupt(): void {
    for (const wakeup of this.roomFor) wakeup.notify();
    this.idle.notify();
  }

  private settle(lane: Lane): void {
    lane.inFlight--;
    this.pending--;
    if (this.pending === 0) this.idle.notify();
    // One write settled: the senders at home on this lane re-check for room.
    for (const g of lane.homeOf) this.roomFor[g].notify();
  }

  private pick(sender: number): Lane | undefined {
    const home = this.homes[sender];
    let best: Lane | undefined;
    let bestAt = 0;
    const turn = this.turns[sender];
    for (let i = 0; i < home.length; i++) {
      const at = (turn + i) % home.length;
      const lane = home[at];
      if (lane.inFlight < this.depth && (!best || lane.inFlight < best.inFlight)) {
        best = lane;
        bestAt = at;
      }
    }
    if (best) this.turns[sender] = (bestAt + 1) % home.length;
    return best;
  }
}
