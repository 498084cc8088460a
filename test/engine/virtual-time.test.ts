// A whole migration on virtual time: nothing in the engine, the devices or the transports may read
// wall time, and the same inputs give the same run, to the byte and the virtual millisecond.
import { afterEach, describe, expect, it, vi } from "vitest";
import { init } from "../../src/codec/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { migrate, receive, TraceRecorder, type MigrationResult } from "../../src/engine/index.js";
import { memoryNetwork, shapeDialer } from "../../src/transport/index.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { deviceName } from "./support.js";

await init();

interface VirtualRun {
  source: MigrationResult;
  destination: MigrationResult;
  trace: TraceRecorder;
  clock: VirtualClock;
}

/** Both ends over a shaped memory network, with paced, dirtying devices, on one VirtualClock. */
async function runVirtual(multifd: boolean): Promise<VirtualRun> {
  const clock = new VirtualClock();
  const devices = (incoming: boolean): SimulatedDevice[] =>
    [0, 1].map(
      (i) =>
        new SimulatedDevice({
          name: deviceName(i),
          seed: 7 + i,
          stateSize: 1 << 20,
          blockSize: 16 << 10,
          dirtyRate: 2 << 20,
          saveBytesPerSecond: 64 << 20,
          loadBytesPerSecond: 64 << 20,
          loadDelayMs: 40,
          incoming,
          clock,
        }),
    );
  const trace = new TraceRecorder(clock);
  const network = memoryNetwork();
  const dialer = shapeDialer(network.dialer, { latencyMs: 3, bandwidth: 32 << 20, clock });
  const multifdOptions = multifd ? { channels: 2, checksum: true } : undefined;
  const capabilities = { switchoverAck: true };
  const receiving = receive({ devices: devices(true), acceptor: network.acceptor, trace, clock, capabilities, multifd: multifdOptions });
  const migrating = migrate({ devices: devices(false), dialer, trace, clock, capabilities, multifd: multifdOptions, maxBandwidth: 16 << 20 });
  const both = Promise.all([migrating, receiving]);
  expect(await clock.run(both)).toBe("settled");
  const [source, destination] = await both;
  await network.acceptor.close();
  return { source, destination, trace, clock };
}

describe("a migration on a VirtualClock", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  for (const multifd of [false, true]) {
    it(`never reads wall time (${multifd ? "multifd with checksum" : "main channel only"})`, async () => {
      const wallReads: string[] = [];
      const trap = (name: string) => (): never => {
        wallReads.push(name);
        throw new Error(`${name} read during a virtual-time migration`);
      };
      vi.spyOn(performance, "now").mockImplementation(trap("performance.now"));
      vi.spyOn(Date, "now").mockImplementation(trap("Date.now"));
      vi.stubGlobal("setTimeout", trap("setTimeout"));
      vi.stubGlobal("setInterval", trap("setInterval"));
      const { source, destination, trace, clock } = await runVirtual(multifd);
      vi.restoreAllMocks();
      vi.unstubAllGlobals();
      expect(wallReads).toEqual([]);
      expect([source.status, destination.status, source.error?.message]).toEqual(["completed", "completed", undefined]);
      expect(destination.devices.map((d) => d.digest)).toEqual(source.devices.map((d) => d.digest));
      // Virtual time passed: pacing, latency, dirtying and the load delay all waited on the clock.
      expect(source.totalMs).toBeGreaterThan(40);
      expect(source.downtimeMs).toBeGreaterThan(0);
      // The recorder started at virtual 0 and times everything on the same clock.
      expect(trace.now()).toBe(clock.now());
      expect(trace.events.map((e) => e.kind)).toContain("SWITCHOVER_ACK");
      expect(clock.pendingTimers).toBe(0);
    });
  }

  it("gives byte-identical traces and results for the same inputs, twice", async () => {
    const strip = (r: VirtualRun): string =>
      JSON.stringify({
        entries: r.trace.entries,
        events: r.trace.events,
        source: { ...r.source, error: r.source.error?.message },
        destination: { ...r.destination, error: r.destination.error?.message },
        end: r.clock.now(),
      });
    const first = strip(await runVirtual(true));
    const second = strip(await runVirtual(true));
    expect(first).toBe(second);
    expect(JSON.parse(first).entries.length).toBeGreaterThan(8);
  });
});
