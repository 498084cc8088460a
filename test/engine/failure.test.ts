import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { migrate, receive, TraceRecorder, VmRunState, type MigrationResult, type Side } from "../../src/engine/index.js";
import { DeviceState } from "../../src/fsm/states.js";
import { memoryNetwork, shapeDialer } from "../../src/transport/index.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import type { Acceptor, Channel, Dialer } from "../../src/transport/types.js";
import { realClock, type Clock } from "../../src/clock.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { simulatedPair, stateOf } from "./support.js";

await init();

/** A trace that runs `hook` on each recorded state change (the trigger points of these tests). */
class HookedTrace extends TraceRecorder {
  hook: (side: Side, state: DeviceState) => void = () => {};
  override record(side: Side, device: string, state: DeviceState): void {
    super.record(side, device, state);
    this.hook(side, state);
  }
}

type Fault = "cancel" | "drop";
type Phase = "setup" | "active" | "device" | "awaiting-shut" | "none";

/** Where each phase is reached: the state change that marks it. */
const TRIGGERS: Record<Exclude<Phase, "active" | "none">, [Side, DeviceState]> = {
  setup: ["source", DeviceState.PRE_COPY], // inside save_setup
  device: ["source", DeviceState.STOP_COPY], // VM stopped, completion under way
  "awaiting-shut": ["destination", DeviceState.RUNNING_P2P], // destination starting its VM
};

/**
 * Runs a migration with `fault` injected in `phase`. On a VirtualClock (in-memory networks) the
 * second of pre-copy takes no wall time; real sockets pass the real clock.
 */
async function faultIn(phase: Phase, fault: Fault, network: { dialer: Dialer; acceptor: Acceptor }, clock: Clock = new VirtualClock()) {
  // 2 x 2 MiB of initial data at 4 MiB/s keeps pre-copy iterating for ~1 s.
  const { sources, destinations } = simulatedPair(2, { stateSize: 4 << 20, initialBytes: 2 << 20, clock });
  const before = sources.map((d) => d.digest());
  const trace = new HookedTrace();
  const controller = new AbortController();
  const vm = new VmRunState();
  let channel: Channel | undefined;
  const dialer: Dialer = { dial: async (name, signal) => (channel = await network.dialer.dial(name, signal)) };
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    if (fault === "cancel") controller.abort();
    else channel!.destroy();
  };
  if (phase !== "active" && phase !== "none") {
    const [side, state] = TRIGGERS[phase];
    trace.hook = (s, st) => s === side && st === state && fire();
  }
  const stopDestination = new AbortController();
  // Switchover-ack holds the switchover until the initial data is loaded: pre-copy lasts ~1 s at 4 MiB/s.
  const capabilities = { switchoverAck: true };
  const receiving = receive({ devices: destinations, acceptor: network.acceptor, trace, capabilities, clock, signal: stopDestination.signal });
  const migrating = migrate({
    devices: sources,
    dialer,
    trace,
    vm,
    signal: controller.signal,
    maxBandwidth: 4 << 20,
    switchoverBandwidth: 1e9,
    capabilities,
    clock,
    onProgress: (p) => phase === "active" && p.phase === "active" && p.iteration >= 2 && fire(),
  });
  // A destination the fault left waiting is stopped 3 s after the source ended.
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  void migrating.finally(() => (timer = clock.setTimeout(() => stopDestination.abort(), 3000)));
  const both = Promise.all([migrating, receiving]);
  if (clock instanceof VirtualClock) expect(await clock.run(both)).toBe("settled");
  const [source, destination]: MigrationResult[] = await both;
  clock.clearTimeout(timer!);
  await network.acceptor.close();
  return { source, destination, sources, destinations, before, vm, fired, trace };
}

describe("failure and cancel leave the source running with its state intact", () => {
  for (const fault of ["cancel", "drop"] as const) {
    for (const phase of ["setup", "active", "device", "awaiting-shut"] as const) {
      it(`${fault} during ${phase}`, async () => {
        const r = await faultIn(phase, fault, memoryNetwork());
        expect(r.fired).toBe(true);
        expect(r.source.status).toBe(fault === "cancel" ? "cancelled" : "failed");
        expect(r.source.error).toHaveProperty("code");
        if (fault === "cancel") expect(r.source.error).toMatchObject({ code: "ERR_MIGRATION_CANCELLED" });
        expect(r.vm.running).toBe(true);
        expect(r.sources.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
        expect(r.sources.map((d) => d.digest())).toEqual(r.before);
        expect(r.source.devices.map((d) => d.digest)).toEqual(r.before);
        expect(r.destination.status).not.toBe("completed");
        expect(r.destination.error).toHaveProperty("code");
        expect(r.destinations.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
      });
    }
  }

  // The shaped link cuts the main channel after N bytes: in the setup handshake, in pre-copy, in stop-copy.
  for (const [phase, bytes, reached] of [
    ["setup", 40, []],
    ["active", 1 << 20, ["PRE_COPY"]],
    ["device", 5 << 20, ["PRE_COPY", "PRE_COPY_P2P", "STOP_COPY"]],
  ] as const) {
    it(`survives a link dropped after ${bytes} bytes (${phase})`, async () => {
      const network = memoryNetwork();
      const r = await faultIn("none", "drop", { acceptor: network.acceptor, dialer: shapeDialer(network.dialer, { dropAfterBytes: bytes }) });
      expect(r.source.status).toBe("failed");
      expect(r.source.error).toHaveProperty("code");
      const history = r.source.devices[0].history;
      expect(history.slice(0, reached.length)).toEqual(reached);
      if (phase !== "device") expect(history).not.toContain("STOP_COPY");
      expect(r.vm.running).toBe(true);
      expect(r.sources.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
      expect(r.sources.map((d) => d.digest())).toEqual(r.before);
      expect(r.destination.status).toBe("failed");
      expect(r.destination.error).toHaveProperty("code");
      expect(r.destinations.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
    });
  }

  it("leaves no socket open after a drop over TCP", async () => {
    const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
    const r = await faultIn("device", "drop", { acceptor, dialer: tcpConnect(acceptor.address) }, realClock);
    expect(r.source.status).toBe("failed");
    expect(r.sources.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
    expect(r.sources.map((d) => d.digest())).toEqual(r.before);
    // Node frees a closed handle a tick or two after its close callback.
    const tcp = (): string[] => process.getActiveResourcesInfo().filter((k) => k.startsWith("TCP"));
    for (let i = 0; i < 50 && tcp().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tcp()).toEqual([]);
  });

  it("cancels before the channel is open (a dial that never answers)", async () => {
    const { sources } = simulatedPair(1);
    const controller = new AbortController();
    // Cancelled once the dial is under way.
    const dialer: Dialer = {
      dial: (_name, signal) => {
        queueMicrotask(() => controller.abort());
        return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
      },
    };
    const r = await migrate({ devices: sources, dialer, signal: controller.signal });
    expect(r.status).toBe("cancelled");
    expect(sources.map(stateOf)).toEqual(["RUNNING"]);
  });

  it("cancels a destination waiting for a channel", async () => {
    const { destinations } = simulatedPair(1);
    const network = memoryNetwork();
    const controller = new AbortController();
    // Cancelled once the destination waits for its main channel.
    const acceptor: Acceptor = {
      accept: (signal) => {
        queueMicrotask(() => controller.abort());
        return network.acceptor.accept(signal);
      },
      close: () => network.acceptor.close(),
    };
    const r = await receive({ devices: destinations, acceptor, signal: controller.signal });
    expect(r.status).toBe("cancelled");
    expect(r.error).toMatchObject({ code: "ERR_MIGRATION_CANCELLED" });
  });
});
