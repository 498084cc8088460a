import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { DeviceState as S, SimulatedDevice, connectPeers, setDeviceState } from "../../src/index.js";
import { drain } from "./compliance.js";

const OPTIONS = { stateSize: 64 * 1024, blockSize: 4096, initialBytes: 64 * 1024 };

function group(prefix: string, count = 2): SimulatedDevice[] {
  const devices = Array.from({ length: count }, (_, i) => new SimulatedDevice({ ...OPTIONS, name: `${prefix}${i}/vfio`, seed: 10 + i, incoming: prefix === "dst" }));
  connectPeers(devices);
  return devices;
}

/** QEMU's switchover: every prepare callback (-> *_P2P), then every main callback (-> STOP_COPY). */
async function stopTwoPass(devices: SimulatedDevice[]): Promise<void> {
  for (const d of devices) await setDeviceState(d, d.state === S.PRE_COPY ? S.PRE_COPY_P2P : S.RUNNING_P2P);
  for (const d of devices) await setDeviceState(d, S.STOP_COPY);
}

/** Stopping devices one by one, without the prepare pass. */
async function stopOneByOne(devices: SimulatedDevice[]): Promise<void> {
  for (const d of devices) await setDeviceState(d, S.STOP_COPY);
}

/** Two stopped sources and two incoming peers with their data and config written, still RESUMING. */
async function loadedPair(): Promise<{ sources: SimulatedDevice[]; destinations: SimulatedDevice[] }> {
  const sources = group("src");
  await stopTwoPass(sources);
  const destinations = group("dst");
  for (const [i, d] of destinations.entries()) {
    await setDeviceState(d, S.RESUMING);
    await d.write(await drain(sources[i]));
    await d.loadConfig(sources[i].saveConfig());
  }
  return { sources, destinations };
}

async function migrate(sources: SimulatedDevice[], destinations: SimulatedDevice[]): Promise<unknown[]> {
  const streams = [];
  for (const s of sources) streams.push(await drain(s));
  const results: unknown[] = [];
  for (const [i, d] of destinations.entries()) {
    await setDeviceState(d, S.RESUMING);
    await d.write(streams[i]);
    await d.loadConfig(sources[i].saveConfig());
    results.push(await d.setState(S.STOP).then(() => "ok", (err: unknown) => err));
  }
  return results;
}

describe("P2P peers of simulated devices", () => {
  beforeAll(async () => {
    await init();
  });

  it("loses a DMA write when devices stop one by one without the prepare pass", async () => {
    const sources = group("src");
    for (const d of sources) await setDeviceState(d, S.PRE_COPY);
    await stopOneByOne(sources);
    // src0 reached STOP_COPY while src1 still ran in PRE_COPY and wrote into it.
    expect(sources[0].lostDmaWrites).toBeGreaterThan(0);
    expect(sources[1].lostDmaWrites).toBe(0);
    expect(sources[0].digest()).toMatch(/\+lost-dma:\d+$/);
    const results = await migrate(sources, group("dst"));
    expect(results[0]).toMatchObject({ code: "ERR_DEVICE_LOST_DMA", message: expect.stringMatching(/^dst0\/vfio: \d+ peer-to-peer DMA write/) });
    expect(results[1]).toBe("ok");
  });

  it("loses none with the two-pass order, and every digest matches after migration", async () => {
    const sources = group("src", 3);
    for (const d of sources) await setDeviceState(d, S.PRE_COPY);
    await stopTwoPass(sources);
    expect(sources.map((d) => d.lostDmaWrites)).toEqual([0, 0, 0]);
    const destinations = group("dst", 3);
    expect(await migrate(sources, destinations)).toEqual(["ok", "ok", "ok"]);
    for (const [i, d] of destinations.entries()) expect(d.digest()).toBe(sources[i].digest());
  });

  it("applies accepted writes as state changes: a peer in pre-copy gets dirty bytes", async () => {
    const [a, b] = group("src");
    await setDeviceState(a, S.PRE_COPY);
    await drain(a);
    expect(a.precopyInfo().dirtyBytes).toBe(0);
    // b changing state makes b (RUNNING -> PRE_COPY) write into a, which takes it while running.
    await setDeviceState(b, S.PRE_COPY);
    expect(a.precopyInfo().dirtyBytes).toBeGreaterThan(0);
    expect(a.lostDmaWrites).toBe(0);
  });

  it("does not issue writes from *_P2P or stopped states", async () => {
    const [a, b] = group("src");
    await setDeviceState(a, S.RUNNING_P2P);
    await setDeviceState(b, S.RUNNING_P2P);
    const before = a.digest();
    await setDeviceState(b, S.STOP);
    await setDeviceState(b, S.STOP_COPY);
    expect(a.digest()).toBe(before);
    expect(b.lostDmaWrites).toBe(0);
  });

  it("loses writes on the destination when a device starts running before its peers leave RESUMING", async () => {
    const { sources, destinations } = await loadedPair();
    await setDeviceState(destinations[0], S.RUNNING); // no prepare pass: dst1 is still RESUMING
    expect(destinations[1].lostDmaWrites).toBeGreaterThan(0);
    await expect(setDeviceState(destinations[1], S.RUNNING)).rejects.toMatchObject({ code: "ERR_DEVICE_TRANSITION_FAILED", cause: { code: "ERR_DEVICE_LOST_DMA" } });
  });

  it("keeps an incoming device idle until resumed: no writes into a peer already RESUMING", async () => {
    const destinations = group("dst");
    await setDeviceState(destinations[0], S.RESUMING);
    expect(destinations[1].issuesPeerWrites).toBe(false);
    expect(destinations[0].lostDmaWrites).toBe(0);
    // A device that is not incoming runs its workload and does write.
    const eager = new SimulatedDevice({ ...OPTIONS, name: "eager/vfio" });
    const resuming = new SimulatedDevice({ ...OPTIONS, name: "resuming/vfio", incoming: true });
    connectPeers([eager, resuming]);
    await setDeviceState(resuming, S.RESUMING);
    expect(eager.issuesPeerWrites).toBe(true);
    expect(resuming.lostDmaWrites).toBeGreaterThan(0);
  });

  it("starts the destination cleanly with the two-pass order", async () => {
    const { sources, destinations } = await loadedPair();
    const loaded = destinations.map((d) => d.digest());
    expect(loaded).toEqual(sources.map((d) => d.digest()));
    for (const d of destinations) await setDeviceState(d, S.RUNNING_P2P);
    for (const d of destinations) await setDeviceState(d, S.RUNNING);
    expect(destinations.map((d) => d.lostDmaWrites)).toEqual([0, 0]);
    expect(destinations.map((d) => d.state)).toEqual([S.RUNNING, S.RUNNING]);
  });
});
