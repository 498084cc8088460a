import type { Clock } from "../clock.js";
import type { MigratableDevice } from "../device/types.js";
import { checksumAlgorithm, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type ChecksumOption } from "../codec/checksum.js";
import { VfioMigrationError } from "../errors.js";
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
  /** Multifd channels beside the main one (default 0; QEMU's default when multifd is on is 2). */
  channels?: number;
  /** Device-state transfer over multifd channels (QEMU's x-migration-multifd-transfer): on, off, or auto = on when there are channels. Default auto. */
  mode?: MultifdMode;
  /**
   * Per-packet integrity check on multifd device-state packets (our CHECKSUM extension): "crc32c"
   * (the standard one), "xxh3" (XXH3-64, several times faster in WASM) or "none" (default; QEMU's
   * exact bytes). `true` means "crc32c". Both ends must choose the same (checked at setup).
   */
  checksum?: ChecksumOption;
  /** Destination: bound on packet bytes queued for the load workers (default 64 MiB). */
  maxQueuedBytes?: number;
}

/** What the multifd options come to: channels to open and whether device state goes over them. */
export interface MultifdPlan {
  channels: number;
  transfer: boolean;
  checksum: ChecksumAlgorithm;
}

export function planMultifd(options: MultifdOptions | undefined): MultifdPlan {
  const channels = options?.channels ?? 0;
  const mode = options?.mode ?? "auto";
  const transfer = mode === "on" || (mode === "auto" && channels > 0);
  if (!Number.isInteger(channels) || channels < 0 || channels > 255) {
    throw new VfioMigrationError("ERR_MULTIFD_UNSUPPORTED", `multifd channels must be 0..255, got ${channels}`);
  }
  if (transfer && channels === 0) {
    throw new VfioMigrationError("ERR_MULTIFD_UNSUPPORTED", "Multifd device transfer requested but unsupported in the current config (no multifd channels)");
  }
  const checksum = options?.checksum ?? false;
  if (typeof checksum !== "boolean" && !CHECKSUM_ALGORITHMS.includes(checksum)) {
    throw new VfioMigrationError("ERR_MULTIFD_UNSUPPORTED", `multifd checksum must be one of ${CHECKSUM_ALGORITHMS.join(", ")}, got '${String(checksum)}'`);
  }
  return { channels: transfer ? channels : 0, transfer, checksum: transfer ? checksumAlgorithm(checksum) : "none" };
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
  /** Every wait, timeout and duration of the session runs on it (default the real clock); a simulation passes a VirtualClock. */
  clock?: Clock;
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
