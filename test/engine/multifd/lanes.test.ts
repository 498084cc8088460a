import { describe, expect, it } from "vitest";
import { Lanes } from "../../../src/engine/multifd/lanes.js";
import type { Channel } from "../../../src/transport/types.js";

/** A channel whose writes stay in flight until the test settles them. */
class HeldChannel {
  readonly pending: Array<() => void> = [];
  writes = 0;
  constructor(readonly name: string) {}
  write(): Promise<void> {
    this.writes++;
    return new Promise((resolve) => this.pending.push(resolve));
  }
  /** Settles the oldest write and lets its callbacks run. */
  async settleOne(): Promise<void> {
    this.pending.shift()!();
    await flush();
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function lanes(channels: number, depth: number, senders: number) {
  const held = Array.from({ length: channels }, (_, i) => new HeldChannel(`multifd/${i}`));
  return { held, lanes: new Lanes(held as unknown as Channel[], depth, senders) };
}

const BYTES = new Uint8Array(8);
const noStop = () => undefined;

/** Reserves and writes one packet for `sender`; returns the lane it went to, or undefined when it would wait. */
function sendNow(l: Lanes, sender: number): number | undefined {
  const lane = l.tryReserve(sender);
  if (lane !== undefined) l.write(lane, BYTES, () => undefined);
  return lane;
}

describe("Lanes", () => {
  it("keeps each sender on its own lane when there are as many senders as channels", () => {
    const { lanes: l } = lanes(4, 2, 4);
    const chosen = [0, 1, 2, 3, 0, 1, 2, 3].map((sender) => sendNow(l, sender));
    expect(chosen).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it("shares a channel between the senders that call it home when there are more senders", () => {
    const { lanes: l } = lanes(2, 2, 4);
    expect([0, 1, 2, 3].map((sender) => sendNow(l, sender))).toEqual([0, 1, 0, 1]);
    // Both lanes are full: every sender waits.
    expect([0, 1, 2, 3].map((sender) => l.tryReserve(sender))).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("spreads one sender over every channel, fewest in flight first", () => {
    const { held, lanes: l } = lanes(3, 2, 1);
    expect([0, 0, 0, 0, 0, 0].map(() => sendNow(l, 0))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(l.tryReserve(0)).toBeUndefined();
    expect(held.map((c) => c.writes)).toEqual([2, 2, 2]);
  });

  it("splits the channels among fewer senders (j mod senders)", () => {
    const { lanes: l } = lanes(3, 1, 2);
    expect([sendNow(l, 0), sendNow(l, 0), sendNow(l, 0)]).toEqual([0, 2, undefined]);
    expect([sendNow(l, 1), sendNow(l, 1)]).toEqual([1, undefined]);
  });

  it("makes a sender wait for its own lane while another has room, and wakes it when its lane settles", async () => {
    const { held, lanes: l } = lanes(2, 1, 2);
    expect(sendNow(l, 0)).toBe(0);
    // Lane 1 has room, but it is sender 1's.
    let reserved: number | undefined;
    const waiting = l.reserve(0, noStop).then((lane) => (reserved = lane));
    await flush();
    expect(reserved).toBeUndefined();
    await held[0].settleOne();
    await waiting;
    expect(reserved).toBe(0);
  });

  it("gives a retired sender's lane to the heir it names, waking the heir", async () => {
    const { held, lanes: l } = lanes(2, 1, 2);
    expect(sendNow(l, 1)).toBe(1);
    expect(l.tryReserve(1)).toBeUndefined();
    let reserved: number | undefined;
    const waiting = l.reserve(1, noStop).then((lane) => (reserved = lane));
    l.retire(0, () => 1);
    await waiting;
    expect(reserved).toBe(0);
    l.write(reserved!, BYTES, () => undefined);
    await held[0].settleOne();
    await held[1].settleOne();
    await l.drain();
  });

  it("hands a lane on only when every sender at home there retired, and to one heir only", () => {
    const { lanes: l } = lanes(2, 2, 4);
    const heirs: number[] = [];
    l.retire(0, () => (heirs.push(3), 3));
    // Sender 2 still calls lane 0 home: no heir is asked.
    expect(heirs).toEqual([]);
    expect([sendNow(l, 3), sendNow(l, 3), sendNow(l, 3)]).toEqual([1, 1, undefined]);
    expect(l.active()).toEqual([1, 2, 3]);
    l.retire(2, () => (heirs.push(3), 3));
    expect(heirs).toEqual([3]);
    // Lane 0 is now sender 3's: sender 1 (lane 1, full) may not use it.
    expect(sendNow(l, 1)).toBeUndefined();
    expect([sendNow(l, 3), sendNow(l, 3), sendNow(l, 3)]).toEqual([0, 0, undefined]);
  });

  it("leaves a freed lane idle when no sender is left to take it", () => {
    const { lanes: l } = lanes(2, 1, 2);
    l.retire(1, () => 0);
    l.retire(0, () => undefined);
    expect(l.active()).toEqual([]);
  });

  it("returns an unused reservation, and drain waits for every write", async () => {
    const { held, lanes: l } = lanes(1, 1, 1);
    const lane = l.tryReserve(0)!;
    expect(l.tryReserve(0)).toBeUndefined();
    l.unreserve(lane);
    expect(sendNow(l, 0)).toBe(0);
    let drained = false;
    const draining = l.drain().then(() => (drained = true));
    await flush();
    expect(drained).toBe(false);
    await held[0].settleOne();
    await draining;
    expect(drained).toBe(true);
  });

  it("reports a failed write to its callback and frees the lane", async () => {
    const failing = { name: "multifd/0", write: () => Promise.reject(new Error("boom")) };
    const l = new Lanes([failing as unknown as Channel], 1, 1);
    const lane = l.tryReserve(0)!;
    const error = await new Promise((resolve) => l.write(lane, BYTES, resolve));
    expect(error).toEqual(new Error("boom"));
    expect(l.tryReserve(0)).toBe(0);
  });

  it("stops a waiting sender with the stop condition's error", async () => {
    const { lanes: l } = lanes(1, 1, 1);
    sendNow(l, 0);
    let failure: Error | undefined;
    const waiting = l.reserve(0, () => failure);
    failure = new Error("cancelled");
    l.interrupt();
    await expect(waiting).rejects.toThrow("cancelled");
  });
});
