import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { MigrationFlags } from "../../src/fsm/states.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import { MttyDevice } from "../../src/device/index.js";
import { deviceName, runBoth, simulatedPair, stateOf } from "./support.js";

await init();

describe("migrate/receive over the main channel", () => {
  for (const count of [1, 2, 3, 8]) {
    it(`moves ${count} device(s) over memory with equal digests`, async () => {
      const { sources, destinations } = simulatedPair(count, { stateSize: 3 << 20, initialBytes: 1 << 20 });
      const before = sources.map((d) => d.digest());
      // The destination starts from other content: equal digests afterwards mean the state moved.
      destinations.forEach((d, i) => expect(d.digest()).not.toBe(before[i]));
      const { source, destination } = await runBoth(sources, destinations);
      expect(source.status).toBe("completed");
      expect(destination.status).toBe("completed");
      expect(destination.devices.map((d) => d.digest)).toEqual(before);
      expect(source.devices.map((d) => d.digest)).toEqual(before);
      expect(sources.map(stateOf)).toEqual(Array(count).fill("STOP"));
      expect(destinations.map(stateOf)).toEqual(Array(count).fill("RUNNING"));
      expect(source.downtimeMs).toBeGreaterThan(0);
      expect(source.bytes.main).toBeGreaterThan(count * (3 << 20));
      // Device data (the simulated stream adds its block stamps to the 3 MiB of state).
      expect(source.devices.every((d) => d.bytes >= 3 << 20)).toBe(true);
      expect(destination.devices.map((d) => d.bytes)).toEqual(source.devices.map((d) => d.bytes));
    });
  }

  it("moves devices without PRE_COPY (direct stop-copy) and a device without P2P alone", async () => {
    const noPrecopy = simulatedPair(2, { flags: MigrationFlags.STOP_COPY | MigrationFlags.P2P });
    const a = await runBoth(noPrecopy.sources, noPrecopy.destinations);
    expect([a.source.status, a.destination.status]).toEqual(["completed", "completed"]);
    expect(a.destination.devices.map((d) => d.digest)).toEqual(a.source.devices.map((d) => d.digest));
    expect(a.source.devices[0].history).toEqual(["RUNNING_P2P", "STOP", "STOP_COPY", "STOP"]);

    const plain = simulatedPair(1, { flags: MigrationFlags.STOP_COPY });
    const b = await runBoth(plain.sources, plain.destinations);
    expect(b.source.status).toBe("completed");
    expect(b.source.devices[0].history).toEqual(["STOP", "STOP_COPY", "STOP"]);
    expect(b.destination.devices[0].history).toEqual(["STOP", "RESUMING", "STOP", "RUNNING"]);
  });

  for (const ports of [1, 2] as const) {
    it(`moves mtty devices (${24 + 36 * ports} bytes of state, ${ports} port(s)) over memory and TCP`, async () => {
      for (const tcp of [false, true]) {
        const make = (): MttyDevice[] => [0, 1].map((i) => new MttyDevice({ name: deviceName(i), ports }));
        const sources = make();
        const destinations = make();
        const acceptor = tcp ? await tcpListen({ host: "127.0.0.1", port: 0 }) : undefined;
        const network = acceptor ? { acceptor, dialer: tcpConnect(acceptor.address) } : undefined;
        const { source, destination } = await runBoth(sources, destinations, {}, {}, network);
        expect([source.status, destination.status]).toEqual(["completed", "completed"]);
        expect(destination.devices.map((d) => d.digest)).toEqual(source.devices.map((d) => d.digest));
        expect(source.devices.map((d) => d.bytes)).toEqual([24 + 36 * ports, 24 + 36 * ports]);
      }
    });
  }

  it("moves 8 devices over real TCP", async () => {
    const { sources, destinations } = simulatedPair(8, { stateSize: 2 << 20, initialBytes: 256 << 10 });
    const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
    const { source, destination } = await runBoth(sources, destinations, {}, {}, { acceptor, dialer: tcpConnect(acceptor.address) });
    expect([source.status, destination.status]).toEqual(["completed", "completed"]);
    expect(destination.devices.map((d) => d.digest)).toEqual(source.devices.map((d) => d.digest));
  });

  it("moves a 2 GiB device over TCP without holding it in memory", { timeout: 180_000 }, async () => {
    const { sources, destinations } = simulatedPair(1, { stateSize: 2 * 1024 ** 3, initialBytes: 64 << 20 });
    const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
    const rssBefore = process.memoryUsage().rss;
    const { source, destination } = await runBoth(sources, destinations, { switchoverBandwidth: 2e9, downtimeLimitMs: 10_000 }, {}, { acceptor, dialer: tcpConnect(acceptor.address) });
    expect([source.status, destination.status]).toEqual(["completed", "completed"]);
    expect(destination.devices[0].digest).toBe(source.devices[0].digest);
    expect(source.bytes.main).toBeGreaterThan(2 * 1024 ** 3);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 << 20);
  });

  it("carries config blobs that together exceed the staging area, and refuses one that alone does", async () => {
    const many = simulatedPair(8, { configSize: 16 << 10 });
    const ok = await runBoth(many.sources, many.destinations);
    expect([ok.source.status, ok.destination.status]).toEqual(["completed", "completed"]);
    expect(ok.destination.devices.map((d) => d.digest)).toEqual(ok.source.devices.map((d) => d.digest));
    const huge = simulatedPair(1, { configSize: 70 << 10 });
    const refused = await runBoth(huge.sources, huge.destinations);
    expect(refused.source.error).toMatchObject({ code: "ERR_CONFIG_BLOB_TOO_LARGE" });
    expect(huge.sources.map(stateOf)).toEqual(["RUNNING"]);
    expect(refused.destination.status).toBe("failed");
  });

  it("records source then destination states in one trace, QEMU's order", async () => {
    const { sources, destinations } = simulatedPair(1);
    const { trace } = await runBoth(sources, destinations);
    const steps = trace.entries.map((e) => `${e.side}:${e.state}`);
    // Each side's own order is fixed; the two setups run concurrently, so only causal order holds across sides.
    expect(trace.history("source", sources[0].name)).toEqual(["PRE_COPY", "PRE_COPY_P2P", "STOP_COPY", "STOP"]);
    expect(trace.history("destination", destinations[0].name)).toEqual(["RUNNING_P2P", "STOP", "RESUMING", "STOP", "RUNNING_P2P", "RUNNING"]);
    expect(steps.indexOf("source:STOP_COPY")).toBeLessThan(steps.lastIndexOf("destination:STOP"));
    expect(steps.lastIndexOf("destination:RUNNING")).toBeLessThan(steps.lastIndexOf("source:STOP"));
    expect(trace.entries.map((e) => e.seq)).toEqual(steps.map((_, i) => i + 1));
  });
});

describe("setup", () => {
  it("fails both ends on a capability mismatch, naming both values", async () => {
    const { sources, destinations } = simulatedPair(1);
    const { source, destination } = await runBoth(sources, destinations, { capabilities: { switchoverAck: true } }, { capabilities: { switchoverAck: false } });
    for (const r of [source, destination]) {
      expect(r.status).toBe("failed");
      expect(r.error).toMatchObject({ code: "ERR_SETUP_MISMATCH" });
      expect(r.error!.message).toContain("capability switchoverAck: source true, destination false");
    }
    expect(sources.map(stateOf)).toEqual(["RUNNING"]);
    expect(destinations.map(stateOf)).toEqual(["RUNNING"]);
  });

  it("fails on different devices, flags and sizes", async () => {
    const a = simulatedPair(2);
    const b = simulatedPair(3);
    const names = await runBoth(a.sources, b.destinations);
    expect(names.source.error!.message).toMatch(/devices: source 0000:00:04.0\/vfio#0,0000:00:05.0\/vfio#0, destination .*0000:00:06.0/);
    const c = simulatedPair(1, { flags: MigrationFlags.STOP_COPY | MigrationFlags.P2P });
    const d = simulatedPair(1, { stateSize: 2 << 20 });
    const flags = await runBoth(c.sources, d.destinations);
    expect(flags.destination.error!.message).toContain("0000:00:04.0/vfio flags: source STOP_COPY|P2P, destination STOP_COPY|P2P|PRE_COPY");
    expect(flags.destination.error!.message).toMatch(/0000:00:04.0\/vfio state size: source 10\d{5}, destination 20\d{5}/);
  });

  it("refuses several devices unless all have P2P, before anything changes", async () => {
    const { sources, destinations } = simulatedPair(3);
    const noP2p = simulatedPair(3, { flags: MigrationFlags.STOP_COPY | MigrationFlags.PRE_COPY });
    const mixed = [sources[0], noP2p.sources[1], noP2p.sources[2]];
    let dialed = 0;
    const network = { dialer: { dial: async () => (dialed++, Promise.reject(new Error("must not dial"))) }, acceptor: { accept: () => new Promise<never>(() => {}), close: async () => {} } };
    const { source } = await runBoth(mixed, destinations, {}, {}, network as never);
    expect(source.error).toMatchObject({ code: "ERR_P2P_REQUIRED" });
    expect(source.error!.message).toBe(
      "0000:00:05.0/vfio, 0000:00:06.0/vfio: Multiple VFIO devices migration is supported only if all of them support P2P migration",
    );
    expect(dialed).toBe(0);
    expect(source.trace).toEqual([]);
    expect(mixed.map(stateOf)).toEqual(["RUNNING", "RUNNING", "RUNNING"]);
  });
});
