import { describe, expect, it } from "vitest";
import { WatchedChannel } from "../../src/engine/stall-watch.js";
import { memoryPair } from "../../src/transport/memory.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { MigrationFlags } from "../../src/fsm/index.js";
import { SimulatedNetwork } from "../../src/sim/network.js";
import { Random } from "../../src/sim/random.js";
import { runBoth, simulatedPair } from "./support.js";
import { init } from "../../src/codec/index.js";

await init();

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

describe("stall detection across a session's channels", () => {
  // The main channel says nothing while multifd carries the stop-copy state: that is no stall
  // however long the transfer takes, as long as some channel of the session moves.
  it("completes a multifd stop-copy that lasts many stall timeouts while the main channel is silent", async () => {
    const clock = new VirtualClock();
    const random = new Random(7);
    const network = new SimulatedNetwork({
      clock,
      random: () => random.next(),
      // 32 MiB over two channels at 8 MiB/s each: 2 s of transfer against a 300 ms timeout (a 1 MiB
      // packet takes 125 ms: a single write must fit in the timeout, the whole transfer need not).
      link: (name, direction) => (name !== "main" && direction === "forward" ? { bandwidth: 8 << 20 } : {}),
    });
    const flags = MigrationFlags.STOP_COPY | MigrationFlags.P2P;
    const { sources, destinations } = simulatedPair(2, { stateSize: 16 << 20, flags, clock });
    const multifd = { mode: "on", channels: 2 } as const;
    const run = await runBoth(sources, destinations, { clock, multifd, stallTimeoutMs: 300 }, { clock, multifd, stallTimeoutMs: 300 }, network);
    expect(run.source.error).toBeUndefined();
    expect(run.destination.error).toBeUndefined();
    expect(run.source.status).toBe("completed");
    expect(clock.now()).toBeGreaterThan(1500);
    expect(destinations.map((d) => d.digest())).toEqual(sources.map((d) => d.digest()));
  });
});
