/**
 * What the HTML report draws. Plain data, independent of the engine, so the report can be rendered
 * from a live run, from a saved `--json` result plus its samples, or from hand-made examples.
 * Every time `t` is in milliseconds since the migration started on the source.
 */

/** A `DeviceState` name (`RUNNING`, `PRE_COPY_P2P`, ...). */
export type StateName = "ERROR" | "STOP" | "RUNNING" | "STOP_COPY" | "RESUMING" | "RUNNING_P2P" | "PRE_COPY" | "PRE_COPY_P2P";

/** The device entered `state` at time `t` (ms). */
export interface StateChange {
  readonly t: number;
  readonly state: StateName;
}

export interface ReportDevice {
  readonly name: string;
  /** Migration flags as text, e.g. `STOP_COPY|P2P|PRE_COPY`. */
  readonly flags?: string;
  /** State changes on each side, in time order; the first entry is the state at the start. */
  readonly source: readonly StateChange[];
  readonly destination: readonly StateChange[];
  readonly sourceDigest?: string | null;
  readonly destinationDigest?: string | null;
  /** Bytes of this device's state that crossed the wire (headers included). */
  readonly bytes?: number;
}

/** Cumulative bytes sent on one channel at time `t`. */
export interface ByteSample {
  readonly t: number;
  readonly bytes: number;
}

export interface ReportChannel {
  /** `main`, `multifd/0`, ... */
  readonly name: string;
  /** Cumulative bytes in time order. */
  readonly samples: readonly ByteSample[];
}

/** One convergence check during pre-copy: what is left against what fits in the downtime limit. */
export interface PendingSample {
  readonly t: number;
  readonly pendingBytes: number;
  readonly thresholdBytes: number;
}

export type MarkerKind = "DEV_INIT_DATA_SENT" | "SWITCHOVER_ACK" | "SWITCHOVER_START" | "VM_STOP" | "VM_START";

export interface ReportMarker {
  readonly t: number;
  readonly kind: MarkerKind;
  /** The device a DEV_INIT_DATA_SENT concerns. */
  readonly device?: string;
}

export interface ReportSummary {
  readonly status: "completed" | "failed" | "cancelled" | "in-doubt";
  readonly error?: { readonly code: string; readonly message: string } | null;
  readonly setupMs?: number;
  readonly totalMs?: number;
  readonly downtimeMs?: number;
  /** Extra figures worth a line each (`downtime limit`, `channels`, ...), shown as given. */
  readonly details?: readonly { readonly label: string; readonly value: string }[];
}

export interface ReportData {
  readonly title?: string;
  /** The time axis runs from 0 to this (ms); it defaults to the last sample or event. */
  readonly durationMs?: number;
  readonly devices: readonly ReportDevice[];
  readonly channels: readonly ReportChannel[];
  readonly pending: readonly PendingSample[];
  readonly markers: readonly ReportMarker[];
  /** From stopping the source VM until the destination VM runs. */
  readonly downtime?: { readonly startMs: number; readonly endMs: number } | null;
  readonly summary: ReportSummary;
}
