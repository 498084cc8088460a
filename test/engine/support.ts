// Shared pieces of the engine tests: device sets for both ends and a run of both sessions.
import { SimulatedDevice, type SimulatedDeviceOptions } from "../../src/device/index.js";
import type { MigratableDevice } from "../../src/device/types.js";
import { migrate, receive, TraceRecorder, type MigrateOptions, type MigrationResult, type ReceiveOptions } from "../../src/engine/index.js";
import { DeviceState } from "../../src/fsm/states.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { realClock, type ClockTimer } from "../../src/clock.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import type { Acceptor, Dialer } from "../../src/transport/types.js";

export const deviceName = (i: number): string => `0000:00:${(4 + i).toString(16).padStart(2, "0")}.0/vfio`;

/** `count` source devices and matching incoming destination devices (same options, so the setup check agrees). */
export function simulatedPair(count: number, options: SimulatedDeviceOptions = {}): { sources: SimulatedDevice[]; destinations: SimulatedDevice[] } {
  const make = (incoming: boolean): SimulatedDevice[] =>
    Array.from({ length: count }, (_, i) => new SimulatedDevice({ stateSize: 1 << 20, ...options, name: deviceName(i), seed: (options.seed ?? 1) + i, incoming }));
  return { sources: make(false), destinations: make(true) };
}

export interface Run {
  source: MigrationResult;
  destination: MigrationResult;
  trace: TraceRecorder;
}

type SourceExtras = Omit<MigrateOptions, "devices" | "dialer" | "trace">;
type DestinationExtras = Omit<ReceiveOptions, "devices" | "acceptor" | "trace">;

/**
 * Runs both ends over `network` (a memory network by default) with one shared trace. With a
 * VirtualClock in `source.clock`, both ends run on it and this drives it: waits take no wall time.
 */
export async function runBoth(
  sources: readonly MigratableDevice[],
  destinations: readonly MigratableDevice[],
  source: SourceExtras = {},
  destination: DestinationExtras = {},
  network: { dialer: Dialer; acceptor: Acceptor } = memoryNetwork(),
): Promise<Run> {
  const clock = source.clock ?? realClock;
  const trace = new TraceRecorder(clock);
  const stop = new AbortController();
  let dialed = false;
  const dialer: Dialer = { dial: (name, signal) => ((dialed = true), network.dialer.dial(name, signal)) };
  const receiving = receive({ devices: destinations, acceptor: network.acceptor, trace, clock, ...destination, signal: destination.signal ?? stop.signal });
  const migrating = migrate({ devices: sources, dialer, trace, switchoverBandwidth: 1e9, ...source });
  // A source that failed before dialing leaves the destination waiting for a channel that cannot come:
  // stop it now. One that dialed gets 2 s to be noticed (a guard against a hang, not a wait).
  let timer: ClockTimer | undefined;
  const ended = migrating.then(() => (dialed ? (timer = clock.setTimeout(() => stop.abort(), 2000)) : stop.abort()));
  const both = Promise.all([migrating, receiving, ended]);
  if (clock instanceof VirtualClock && (await clock.run(both)) !== "settled") throw new Error("runBoth: the runs did not end on the virtual clock");
  const [sourceResult, destinationResult] = await both;
  if (timer) clock.clearTimeout(timer);
  await network.acceptor.close();
  return { source: sourceResult, destination: destinationResult, trace };
}

export const stateOf = (d: MigratableDevice): string => DeviceState[d.state];
