import type { VfioMigrationError } from "../errors.js";
import type { DeviceState } from "../fsm/states.js";
import type { DeviceLoadProgress } from "./multifd/load.js";
import type { TraceEntry } from "./trace.js";

/** QEMU's MigrationStatus subset for precopy. */
export type MigrationPhase = "setup" | "active" | "device" | "completed" | "failed" | "cancelled" | "in-doubt";

/**
 * `in-doubt` (source only): it committed and could not learn whether the destination started; its
 * devices are stopped with their state intact until `resume()` (docs/reliability.md).
 */
export type MigrationStatus = "completed" | "failed" | "cancelled" | "in-doubt";

export interface MigrationProgress {
  side: "source" | "destination";
  phase: MigrationPhase;
  /** Bytes written (source) or read (destination) so far. */
  bytes: { main: number; multifd: number[] };
  /** Pre-copy iterations so far (source). */
  iteration: number;
  /** Last pending figure (estimate or exact) the switchover decision used, in bytes. */
  pendingBytes: number;
  /** Measured bandwidth over the last 100 ms window, bytes/s. */
  bandwidth: number;
  /** Bytes that may be left at switchover to stay within the downtime limit. */
  thresholdBytes: number;
  /** pending / the bandwidth used for the threshold, in ms. */
  expectedDowntimeMs: number;
  /** Switchover-ack on and the ACK has not arrived yet while the VM runs. */
  waitingForAck: boolean;
  /** Why the migration has not switched over yet, when it is iterating; undefined otherwise. */
  notConverging?: string;
  /** Destination with multifd transfer: each device's load worker (queued, loading, starved waiting for the next idx, done). */
  loads?: DeviceLoadProgress[];
}

export interface DeviceResult {
  name: string;
  instanceId: number;
  flags: number;
  /** Device data bytes moved (payload of DEV_DATA_STATE chunks, or multifd payload incl. the 12-byte VFIO header). */
  bytes: number;
  /** Digest at switchover, or at the end when the migration did not complete; undefined if the device has none. */
  digest: string | undefined;
  finalState: keyof typeof DeviceState;
  /** This side's state changes of the device, in order. */
  history: string[];
}

export interface MigrationResult {
  side: "source" | "destination";
  status: MigrationStatus;
  /** Why the migration failed or was cancelled (`error.code` is listed in docs/errors.md); undefined if completed. */
  error: VfioMigrationError | undefined;
  setupMs: number;
  totalMs: number;
  /** From stopping the source VM until the destination VM runs (source: until SHUT arrives); undefined if not completed. */
  downtimeMs: number | undefined;
  bytes: { main: number; multifd: number[] };
  devices: DeviceResult[];
  trace: TraceEntry[];
  /** Source only: what the destination reported on the return path. */
  peerReport?: DestinationReport;
  /** Set when the commit's outcome was learnt over a recovery connection, after the main one broke. */
  recovered?: boolean;
  /** Source, `in-doubt` only: restarts the VM and brings every device back to RUNNING. Call it only once the destination VM is known not to run. */
  resume?: () => Promise<void>;
}

/** The destination's REPORT message (return path type 0x0101), JSON. */
export interface DestinationReport {
  /** `loaded`: every device is loaded and the VM waits for the source's COMMIT (commit protocol). */
  status: MigrationStatus | "loaded";
  error?: { code: string; message: string };
  /** From load setup done until the VM ran, in ms (destination clock). */
  loadMs?: number;
  digests?: Record<string, string | undefined>;
}
