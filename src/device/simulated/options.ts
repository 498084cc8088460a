import { realClock, type Clock } from "../../clock.js";
import { MigrationFlags } from "../../fsm/states.js";
import { DeviceError } from "../errors.js";
import { DEFAULT_BLOCK_SIZE, Geometry } from "./layout.js";

export interface SimulatedDeviceOptions {
  /** Id string on the wire. Default `0000:00:04.0/vfio`. */
  name?: string;
  instanceId?: number;
  /** Bytes of device state. Default 1 MiB; up to terabytes (nothing holds the whole state). */
  stateSize?: number;
  /** Bytes offered as initial pre-copy data, rounded up to whole blocks. Default: the whole state. */
  initialBytes?: number;
  /** Bytes per second the device's state changes while it runs. Default 0. */
  dirtyRate?: number;
  /** Largest read the device returns. Default 1 MiB (QEMU's chunk). */
  readChunk?: number;
  /** Bytes of config state (`saveConfig()`). Default 256. */
  configSize?: number;
  /** Destination-side cost of loading the initial data (resource allocation), in ms, paid once. Default 0. */
  loadDelayMs?: number;
  /** Bounds STOP_COPY reads to this rate (on `clock`). Default unbounded (no waiting at all). */
  saveBytesPerSecond?: number;
  /** Bounds RESUMING writes to this rate (on `clock`). Default unbounded. */
  loadBytesPerSecond?: number;
  /** `MigrationFlags` bits. Default STOP_COPY|P2P|PRE_COPY. */
  flags?: number;
  /** Seed of the content (u32). Default 1. */
  seed?: number;
  /** Granularity of content, dirtying and verification. Default 64 KiB. */
  blockSize?: number;
  /**
   * Created to receive a migration, like a device of QEMU's `-incoming` VM: its workload (dirtying
   * and peer-to-peer writes) stays idle until a state was resumed into it, and its content differs
   * from every state a source device reaches (so its digest does too). Default false.
   */
  incoming?: boolean;
  /** The time source of dirtying, pacing and load delays. Default the real clock. */
  clock?: Clock;
}

export interface ResolvedOptions {
  name: string;
  instanceId: number;
  geometry: Geometry;
  initialBlocks: number;
  dirtyRate: number;
  readChunk: number;
  configSize: number;
  loadDelayMs: number;
  saveBytesPerSecond: number | undefined;
  loadBytesPerSecond: number | undefined;
  flags: number;
  seed: number;
  incoming: boolean;
  clock: Clock;
}

const ALL_FLAGS = MigrationFlags.STOP_COPY | MigrationFlags.P2P | MigrationFlags.PRE_COPY;

export function resolveOptions(options: SimulatedDeviceOptions): ResolvedOptions {
  const name = options.name ?? "0000:00:04.0/vfio";
  const fail = (message: string): never => {
    throw new DeviceError("ERR_DEVICE_OPTIONS", name, message);
  };
  const count = (key: keyof SimulatedDeviceOptions, fallback: number, min = 0): number => {
    const value = options[key] ?? fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min) fail(`${key} must be a number >= ${min}, got ${String(value)}`);
    return value as number;
  };
  const rate = (key: "saveBytesPerSecond" | "loadBytesPerSecond"): number | undefined => {
    const value = options[key];
    if (value === undefined) return undefined;
    if (!(value > 0) || !Number.isFinite(value)) fail(`${key} must be a positive number, got ${String(value)}`);
    return value;
  };
  const geometry = Geometry.check(name, options.stateSize ?? 1 << 20, options.blockSize ?? DEFAULT_BLOCK_SIZE);
  const initialBytes = count("initialBytes", geometry.stateSize);
  if (initialBytes > geometry.stateSize) fail(`initialBytes ${initialBytes} exceeds stateSize ${geometry.stateSize}`);
  const flags = options.flags ?? ALL_FLAGS;
  if (!Number.isInteger(flags) || (flags & MigrationFlags.STOP_COPY) === 0 || (flags & ~ALL_FLAGS) !== 0) {
    fail(`flags must include STOP_COPY and only STOP_COPY, P2P, PRE_COPY (got ${String(flags)})`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail(`seed must be a u32, got ${seed}`);
  const readChunk = count("readChunk", 1 << 20, 1);
  const configSize = count("configSize", 256);
  if (!Number.isInteger(readChunk) || !Number.isInteger(configSize)) fail("readChunk and configSize must be integers");
  return {
    name,
    instanceId: count("instanceId", 0),
    geometry,
    initialBlocks: Math.min(geometry.count, Math.ceil(initialBytes / geometry.blockSize)),
    dirtyRate: count("dirtyRate", 0),
    readChunk,
    configSize,
    loadDelayMs: count("loadDelayMs", 0),
    saveBytesPerSecond: rate("saveBytesPerSecond"),
    loadBytesPerSecond: rate("loadBytesPerSecond"),
    flags,
    seed,
    incoming: options.incoming ?? false,
    clock: options.clock ?? realClock,
  };
}
