import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import type { MigrationProgress } from "../../src/engine/index.js";
import { memoryNetwork, shapeDialer } from "../../src/transport/index.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { runBoth, simulatedPair } from "./support.js";

await init();

describe("destination progress with multifd transfer", () => {
  it("shows a load worker starved while the packet it needs is late on a slow channel", async () => {
    const clock = new VirtualClock();
    const { sources, destinations } = simulatedPair(1, { stateSize: 4 << 20, initialBytes: 64 << 10, clock });
    const network = memoryNetwork();
    // One multifd channel lags 150 ms: packets dealt to it arrive after later idx on the other.
    const dialer = shapeDialer(network.dialer, (name) => (name === "multifd/1" ? { latencyMs: 150, clock } : { clock }));
    const seen: MigrationProgress[] = [];
    const multifd = { channels: 2, mode: "on" as const };
    const run = await runBoth(sources, destinations, { multifd, clock }, { multifd, onProgress: (p) => seen.push(p) }, { dialer, acceptor: network.acceptor });

    expect(run.source.status).toBe("completed");
    expect(run.destination.devices[0].digest).toBe(run.source.devices[0].digest);
    const phases = seen.flatMap((p) => p.loads ?? []).map((l) => l.phase);
    expect(phases).toContain("starved");
    expect(phases.at(-1)).toBe("done");
    // The lag is on the virtual clock: the load waited at least one 150 ms latency for the late packets.
    expect(run.destination.totalMs).toBeGreaterThanOrEqual(150);
  });
});
