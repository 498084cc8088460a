import { describe, expect, it } from "vitest";
import { WatchedChannel } from "../../src/engine/stall-watch.js";
import { memoryPair } from "../../src/transport/memory.js";
import { VirtualClock } from "../../src/virtual-clock.js";

describe("WatchedChannel", () => {
  // DST seed 499: a wait that began at 7.2 with a 121 ms stall timeout. (7.2 + 121) - 7.2 rounds to
  // just under 121, so a re-check by subtraction found "not yet" and re-armed a 0 ms timer forever.
  it("fails a stalled read exactly stallMs after the wait began, whatever the rounding of the instants", async () => {
    const clock = new VirtualClock(7.2);
    const [near] = memoryPair();
    const watched = new WatchedChannel(near, clock, 121);
    watched.awaiting = true;
    const reading = watched.read(new Uint8Array(16));
    reading.catch(() => {});
    expect(await clock.run(reading, Infinity, 1000)).toBe("settled");
    await expect(reading).rejects.toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    expect(clock.now()).toBe(7.2 + 121);
    expect(clock.steps).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("counts from the last progress: a byte read re-arms the wait", async () => {
    const clock = new VirtualClock();
    const [near, far] = memoryPair();
    const watched = new WatchedChannel(near, clock, 100);
    watched.awaiting = true;
    const first = watched.read(new Uint8Array(16));
    clock.setTimeout(() => void far.write(new Uint8Array([1])), 60);
    await clock.run(first);
    expect(await first).toBe(1);
    const second = watched.read(new Uint8Array(16));
    second.catch(() => {});
    await clock.run(second);
    await expect(second).rejects.toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    expect(clock.now()).toBe(160);
  });
});
