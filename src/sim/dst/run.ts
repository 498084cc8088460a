// Runs one scenario: source and destination in one process on a VirtualClock over the simulated
// network, with the faults the scenario drew, to the end; records what the guarantees are checked on.
import { connectPeers, SimulatedDevice } from "../../device/index.js";
import type { MigratableDevice } from "../../device/types.js";
import { migrate } from "../../engine/source.js";
import { receive } from "../../engine/destination.js";
import type { MigrationResult } from "../../engine/result.js";
import { VmRunState } from "../../engine/runstate.js";
import { TraceRecorder } from "../../engine/trace.js";
import { DeviceState } from "../../fsm/states.js";
import { VirtualClock, type RunOutcome } from "../../virtual-clock.js";
import { FaultyDevice } from "../device-faults.js";
import { SimulatedNetwork, type Side } from "../network.js";
import { Random } from "../random.js";
import { linkOf, type Scenario } from "./scenario.js";

/** A VM started or stopped (from its run-state callbacks), or its process crashed. */
export interface VmEvent {
  seq: number;
  t: number;
  side: Side;
  kind: "run" | "stop" | "crash";
}

/** What happened to one side's devices, as the guarantees need it. */
export interface DeviceEnd {
  state: keyof typeof DeviceState;
  digest: string | undefined;
}

export interface Outcome {
  scenario: Scenario;
  source: MigrationResult;
  destination: MigrationResult;
  /** Run, stop and crash instants of both VMs, in the order they happened. */
  vm: VmEvent[];
  running: { source: boolean; destination: boolean };
  devices: { source: DeviceEnd[]; destination: DeviceEnd[] };
  /**
   * Both runs ended on their own ("settled"), or nothing was left to move them ("idle"), or virtual
   * time ran out ("limit"), or the step budget did ("steps": timers kept firing without an end).
   */
  ended: RunOutcome;
  /** False when the runs did not end even once both were aborted: their results are placeholders. */
  woundDown: boolean;
  /** Timers fired during the run (the budget is `RUN_STEP_LIMIT`). */
  steps: number;
  /** Virtual ms from the source's end to the destination's. */
  destinationLagMs: number;
  /** Timers left on the clock once both ended. */
  timersLeft: number;
  /** Channels not closed once both ended. */
  channelsOpen: number;
  /** Virtual ms the run took. */
  virtualMs: number;
}

/** The source's caller forces switchover after this long, like an operator facing a migration that does not converge. */
const SWITCHOVER_BACKSTOP_MS = 30_000;
/** How long a destination waits for a source to connect (the engine's own bound; its default is 10 min). */
const ACCEPT_TIMEOUT_MS = 60_000;
/** Virtual time after which a run counts as hung: beyond every bound the engine has. */
const RUN_LIMIT_MS = 900_000;
/**
 * Timer firings after which a run counts as hung, however little virtual time passed: a loop that
 * re-arms timers at one instant never reaches the time limit. Far above any seed's need (the most
 * seen in seeds 1..100,000 is in docs/reliability.md), and a few seconds of wall time.
 */
export const RUN_STEP_LIMIT = 1_000_000;

export const deviceName = (i: number): string => `0000:00:${(4 + i).toString(16).padStart(2, "0")}.0/vfio`;

export async function runScenario(scenario: Scenario): Promise<Outcome> {
  const clock = new VirtualClock();
  const jitter = new Random(scenario.seed ^ 0x5eed5eed);
  const network = new SimulatedNetwork({
    clock,
    random: () => jitter.next(),
    link: (name, direction) => linkOf(scenario, name, direction),
    connectDelayMs: (name) => scenario.connectDelayMs[name] ?? 0,
  });
  const makeDevices = (side: Side): SimulatedDevice[] =>
    scenario.devices.map((d, i) => new SimulatedDevice({ ...d, name: deviceName(i), incoming: side === "destination", clock }));
  const rawSources = makeDevices("source");
  const rawDestinations = makeDevices("destination");
  if (scenario.p2pWrites) {
    connectPeers(rawSources);
    connectPeers(rawDestinations);
  }
  const wrap = (side: Side, devices: SimulatedDevice[]): MigratableDevice[] =>
    devices.map((d, i) => {
      const faults = scenario.deviceFaults.filter((f) => f.side === side && f.device === i);
      return faults.length ? new FaultyDevice(d, Object.assign({}, ...faults.map((f) => f.faults)), clock) : d;
    });

  const vm: VmEvent[] = [];
  const record = (side: Side, kind: VmEvent["kind"]): void => {
    vm.push({ seq: vm.length, t: clock.now(), side, kind });
  };
  // Registered before the sessions' handlers: first in a start's prepare pass (the VM counts as
  // running from the first callback) and last in a stop's main pass (running until the last).
  const vmOf = (side: Side, running: boolean): VmRunState => {
    const state = new VmRunState({ running });
    state.addHandler({
      prepare: async (nowRunning) => {
        if (nowRunning) record(side, "run");
      },
      change: async (nowRunning) => {
        if (!nowRunning) record(side, "stop");
      },
    });
    return state;
  };
  const sourceVm = vmOf("source", true);
  const destinationVm = vmOf("destination", false);

  const trace = new TraceRecorder(clock);
  const stopSource = new AbortController();
  const stopDestination = new AbortController();
  const capabilities = { switchoverAck: scenario.switchoverAck };
  const multifd = scenario.multifd;
  const timeouts = scenario.timeouts ?? {};
  const receiving = receive({
    devices: wrap("destination", rawDestinations),
    acceptor: network.acceptor,
    vm: destinationVm,
    trace,
    clock,
    capabilities,
    multifd,
    acceptTimeoutMs: ACCEPT_TIMEOUT_MS,
    ...timeouts,
    signal: stopDestination.signal,
  });
  const migrating = migrate({
    devices: wrap("source", rawSources),
    dialer: network.dialer,
    vm: sourceVm,
    trace,
    clock,
    capabilities,
    multifd,
    downtimeLimitMs: scenario.downtimeLimitMs,
    maxBandwidth: scenario.maxBandwidth,
    switchoverBandwidth: scenario.switchoverBandwidth,
    ...timeouts,
    signal: stopSource.signal,
  });

  // The callers' actions on the clock; cleared once the runs end, so they leave nothing behind.
  const timers = [clock.setTimeout(() => migrating.switchoverNow(), SWITCHOVER_BACKSTOP_MS)];
  if (scenario.switchoverNowAtMs !== undefined) timers.push(clock.setTimeout(() => migrating.switchoverNow(), scenario.switchoverNowAtMs));
  if (scenario.cancelAtMs !== undefined) timers.push(clock.setTimeout(() => stopSource.abort(), scenario.cancelAtMs));
  const { crash } = scenario;
  if (crash) {
    timers.push(
      clock.setTimeout(() => {
        record(crash.side, "crash");
        network.crash(crash.side);
        // A dead process's session stops with it; what it does after this instant does not count.
        (crash.side === "source" ? stopSource : stopDestination).abort();
      }, crash.atMs),
    );
  }
  let sourceEnd = 0;
  let destinationEnd = 0;
  const both = Promise.all([migrating.finally(() => (sourceEnd = clock.now())), receiving.finally(() => (destinationEnd = clock.now()))]);
  const stepsBefore = clock.steps;
  const ended = await clock.run(both, RUN_LIMIT_MS, RUN_STEP_LIMIT);
  const steps = clock.steps - stepsBefore;
  let woundDown = true;
  if (ended !== "settled") {
    // Hung: stop both so the next seed starts clean; the guarantee check reports it.
    stopSource.abort();
    stopDestination.abort();
    for (const c of network.channels) c.dialed.destroy();
    woundDown = (await clock.run(both, RUN_LIMIT_MS, RUN_STEP_LIMIT)) === "settled";
  }
  // A run that does not end even when aborted is reported, never awaited (that would hang the sweep).
  const [source, destination] = woundDown ? await both : [unfinished("source"), unfinished("destination")];
  for (const timer of timers) clock.clearTimeout(timer);
  await network.acceptor.close();
  let open = 0;
  for (const c of network.channels) {
    for (const end of [c.dialed, c.accepted]) {
      let closed = false;
      void end.closed.then(() => (closed = true));
      await clock.settle();
      if (!closed) open++;
    }
  }
  await clock.settle();
  return {
    scenario,
    source,
    destination,
    vm,
    running: { source: sourceVm.running, destination: destinationVm.running },
    devices: { source: rawSources.map(deviceEnd), destination: rawDestinations.map(deviceEnd) },
    ended,
    woundDown,
    steps,
    destinationLagMs: destinationEnd - sourceEnd,
    timersLeft: clock.pendingTimers,
    channelsOpen: open,
    virtualMs: clock.now(),
  };
}

/** The result of a session that never returned. */
function unfinished(side: MigrationResult["side"]): MigrationResult {
  return { side, status: "failed", error: undefined, setupMs: 0, totalMs: 0, downtimeMs: undefined, bytes: { main: 0, multifd: [] }, devices: [], trace: [] };
}

function deviceEnd(device: SimulatedDevice): DeviceEnd {
  let digest: string | undefined;
  try {
    digest = device.digest();
  } catch (err) {
    digest = `error: ${(err as Error).message}`;
  }
  return { state: DeviceState[device.state] as keyof typeof DeviceState, digest };
}
