// One seed's scenario: devices, capabilities, multifd, the network and the faults, all drawn from
// the seed, as plain data (printed when a seed fails, so a reader sees what ran).
import { MigrationFlags } from "../../fsm/states.js";
import type { MultifdMode } from "../../engine/options.js";
import type { DeviceFaults } from "../device-faults.js";
import type { Direction, LinkSpec, Side } from "../network.js";
import { Random } from "../random.js";

export interface DeviceSpec {
  stateSize: number;
  blockSize: number;
  initialBytes: number;
  dirtyRate: number;
  flags: number;
  saveBytesPerSecond?: number;
  loadBytesPerSecond?: number;
  loadDelayMs: number;
  seed: number;
}

/** A fault on one direction of one channel (cut, corrupted byte or stall at a byte of that direction). */
export interface LinkFault {
  channel: string;
  direction: Direction;
  kind: "cut" | "corrupt" | "stall";
  atByte: number;
  /** Stall length (Infinity: the link never moves again). */
  ms?: number;
}

export interface DeviceFault {
  side: Side;
  device: number;
  faults: DeviceFaults;
}

export interface Scenario {
  seed: number;
  devices: DeviceSpec[];
  /** Simulated devices write into their peers (P2P DMA) as they change state. */
  p2pWrites: boolean;
  switchoverAck: boolean;
  multifd: { channels: number; mode: MultifdMode; checksum: boolean };
  downtimeLimitMs: number;
  /** 0 = unlimited. */
  maxBandwidth: number;
  switchoverBandwidth?: number;
  link: { latencyMs: number; jitterMs: number; bandwidth: number };
  linkFaults: LinkFault[];
  /** Channels that connect late: name -> ms. */
  connectDelayMs: Record<string, number>;
  deviceFaults: DeviceFault[];
  crash?: { side: Side; atMs: number };
  /** The source's caller cancels at this virtual instant. */
  cancelAtMs?: number;
  /** The source's caller forces switchover at this virtual instant. */
  switchoverNowAtMs?: number;
  /** Both ends' setup, stall and resolution timeouts, when not the defaults. */
  timeouts?: { setupTimeoutMs: number; stallTimeoutMs: number; resolutionTimeoutMs: number };
}

const KiB = 1024;
const MiB = 1024 * 1024;

/** The scenario of `seed`: the same seed always gives the same scenario. */
export function drawScenario(seed: number): Scenario {
  const rng = new Random(seed);
  const count = rng.chance(0.5) ? rng.int(1, 2) : rng.int(3, 8);
  // More than one device needs P2P (QEMU's rule); a few seeds break it on purpose.
  const breakP2pRule = count > 1 && rng.chance(0.03);
  const devices: DeviceSpec[] = [];
  for (let i = 0; i < count; i++) {
    const blockSize = rng.pick([1 * KiB, 4 * KiB, 16 * KiB]);
    const stateSize = rng.logInt(blockSize, 128 * KiB);
    let flags = MigrationFlags.STOP_COPY;
    if (rng.chance(0.7)) flags |= MigrationFlags.PRE_COPY;
    if (count === 1 ? rng.chance(0.5) : !breakP2pRule || i > 0) flags |= MigrationFlags.P2P;
    devices.push({
      stateSize,
      blockSize,
      initialBytes: rng.int(0, stateSize),
      dirtyRate: rng.chance(0.5) ? 0 : rng.logInt(16 * KiB, 4 * MiB),
      flags,
      saveBytesPerSecond: rng.chance(0.7) ? undefined : rng.logInt(MiB, 64 * MiB),
      loadBytesPerSecond: rng.chance(0.7) ? undefined : rng.logInt(MiB, 64 * MiB),
      loadDelayMs: rng.chance(0.7) ? 0 : rng.int(1, 300),
      seed: rng.int(0, 0xffff),
    });
  }
  const channels = rng.chance(0.4) ? 0 : rng.int(1, 4);
  const mode: MultifdMode = channels === 0 ? (rng.chance(0.97) ? rng.pick(["off", "auto"] as const) : "on") : rng.pick(["on", "auto", "off"] as const);
  const scenario: Scenario = {
    seed,
    devices,
    p2pWrites: count > 1 && rng.chance(0.3),
    switchoverAck: rng.chance(0.5),
    multifd: { channels, mode, checksum: rng.chance(0.5) },
    downtimeLimitMs: rng.chance(0.5) ? 300 : rng.int(5, 1000),
    maxBandwidth: rng.pick([0, 128 * MiB, rng.logInt(2 * MiB, 256 * MiB)]),
    switchoverBandwidth: rng.chance(0.5) ? undefined : rng.logInt(MiB, 1024 * MiB),
    link: {
      latencyMs: rng.chance(0.3) ? 0 : rng.int(1, 30),
      jitterMs: rng.chance(0.5) ? 0 : rng.int(1, 10),
      bandwidth: rng.chance(0.3) ? 0 : rng.logInt(4 * MiB, 512 * MiB),
    },
    linkFaults: [],
    connectDelayMs: {},
    deviceFaults: [],
  };
  const channelNames = ["main", ...Array.from({ length: channels }, (_, i) => `multifd/${i}`)];
  // Half the seeds run clean; the rest get one to three faults of any kind, at any moment.
  const faults = rng.chance(0.5) ? 0 : rng.int(1, 3);
  const forwardBytes = devices.reduce((sum, d) => sum + d.stateSize * 1.3, 2000);
  for (let f = 0; f < faults; f++) {
    switch (rng.pick(["cut", "cut", "corrupt", "stall", "late", "crash", "device", "device", "cancel"] as const)) {
      case "cut":
      case "corrupt":
      case "stall": {
        const kind = rng.pick(["cut", "cut", "corrupt", "stall"] as const);
        const channel = rng.chance(0.6) ? "main" : rng.pick(channelNames);
        // The return direction carries a few hundred bytes (CONFIG, ACK, REPORT, SHUT): every byte of it is reachable.
        const direction: Direction = channel === "main" && rng.chance(0.5) ? "back" : "forward";
        const atByte = direction === "back" ? rng.int(0, 700) : rng.logInt(1, forwardBytes);
        // A stall lasts a while, or forever (then only the ends' stall detection can end the run).
        const ms = kind !== "stall" ? undefined : rng.chance(0.3) ? Infinity : rng.logInt(1, 20_000);
        scenario.linkFaults.push({ channel, direction, kind, atByte, ms });
        break;
      }
      case "late":
        scenario.connectDelayMs[rng.pick(channelNames)] = rng.logInt(1, 3000);
        break;
      case "crash":
        scenario.crash ??= { side: rng.pick(["source", "destination"] as const), atMs: rng.logInt(1, 4000) };
        break;
      case "device": {
        // Each side's own operations: the source reads its devices, the destination writes and loads.
        const side = rng.pick(["source", "destination"] as const);
        const which = rng.pick(side === "source" ? (["arc", "read", "slow-arc"] as const) : (["arc", "write", "slow-arc", "slow-load"] as const));
        const faultsOf: DeviceFaults =
          which === "arc" ? { failArc: rng.int(1, 6) }
          : which === "read" ? { failRead: rng.logInt(1, 60) }
          : which === "write" ? { failWrite: rng.logInt(1, 60) }
          : which === "slow-arc" ? { arcMs: rng.logInt(1, 200) }
          : { loadMs: rng.logInt(1, 50) };
        scenario.deviceFaults.push({ side, device: rng.int(0, count - 1), faults: faultsOf });
        break;
      }
      case "cancel":
        scenario.cancelAtMs ??= rng.logInt(1, 4000);
        break;
    }
  }
  if (rng.chance(0.1)) scenario.switchoverNowAtMs = rng.logInt(1, 3000);
  if (rng.chance(0.3)) scenario.timeouts = { setupTimeoutMs: rng.logInt(50, 5000), stallTimeoutMs: rng.logInt(100, 5000), resolutionTimeoutMs: rng.logInt(20, 5000) };
  return scenario;
}

/** The link spec of one direction of one channel under `scenario`. */
export function linkOf(scenario: Scenario, channel: string, direction: Direction): LinkSpec {
  const spec: LinkSpec = { ...scenario.link };
  for (const f of scenario.linkFaults) {
    if (f.channel !== channel || f.direction !== direction) continue;
    if (f.kind === "cut") spec.dropAfterBytes = Math.min(spec.dropAfterBytes ?? Infinity, f.atByte);
    else if (f.kind === "corrupt") spec.corruptByte = f.atByte;
    else {
      spec.stallAtByte = f.atByte;
      spec.stallMs = f.ms;
    }
  }
  return spec;
}
