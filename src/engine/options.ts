import type { MigratableDevice } from "../device/types.js";
import type { Acceptor, Dialer } from "../transport/types.js";
import type { VmRunState } from "./runstate.js";
import type { TraceRecorder } from "./trace.js";
import type { MigrationProgress } from "./result.js";

/** QEMU's defaults (migration/options.c). */
export const DEFAULT_DOWNTIME_LIMIT_MS = 300;
export const DEFAULT_MAX_BANDWIDTH = 128 * 1024 * 1024;
export const DEFAULT_MULTIFD_CHANNELS = 2;
/** `VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE`: the largest chunk one device read produces. */
export const DEVICE_CHUNK_BYTES = 1024 * 1024;
/** `VFIO_MIG_STOP_COPY_SIZE`: the pending figure of a device that cannot tell its stop-copy size. */
export const UNKNOWN_STOP_COPY_SIZE = 100 * 1024 ** 3;
/** `BUFFER_DELAY`: how often bandwidth and the switchover threshold are recomputed. */
export const BANDWIDTH_PERIOD_MS = 100;

/** Migration capabilities; each must be the same on both ends (checked at setup). */
export interface Capabilities {
  /** Destination acknowledges switchover once every PRE_COPY device's initial data is loaded. Needs the return path (always on here). */
  switchoverAck?: boolean;
}

export type MultifdMode = "on" | "off" | "auto";

export interface MultifdOptions {
  /** Channels besides the main one (default 2). */
  channels?: number;
  /** Device-state transfer over multifd channels: on, off, or auto (on when channels > 0). Default off. */
  mode?: MultifdMode;
  /** Per-packet CRC32C on multifd device-state packets (our extension). */
  checksum?: boolean;
}

interface CommonOptions {
  devices: readonly MigratableDevice[];
  /** The VM whose run state the devices follow; a running VM by default. */
  vm?: VmRunState;
  signal?: AbortSignal;
  capabilities?: Capabilities;
  multifd?: MultifdOptions;
  onProgress?: (progress: MigrationProgress) => void;
  /** Records every device state change; pass one recorder to both ends to get one ordered trace. */
  trace?: TraceRecorder;
}

export interface MigrateOptions extends CommonOptions {
  dialer: Dialer;
  /** QEMU's downtime-limit in ms (default 300). */
  downtimeLimitMs?: number;
  /** Pre-copy rate limit in bytes/s (default 128 MiB/s; 0 = unlimited). Lifted at switchover. */
  maxBandwidth?: number;
  /** QEMU's avail-switchover-bandwidth in bytes/s: replaces the measured bandwidth in the threshold. */
  switchoverBandwidth?: number;
}

export interface ReceiveOptions extends CommonOptions {
  acceptor: Acceptor;
}
