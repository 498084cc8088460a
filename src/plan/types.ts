// What the planner takes and gives: a device model, a link, the migration settings to sweep, and one
// row of predictions per combination of settings.

/** The devices to migrate, as `simulate` builds them (every device alike). */
export interface DeviceModel {
  /** How many devices (1..64). */
  devices: number;
  /** Bytes of state per device. */
  stateSize: number;
  /** Initial pre-copy bytes per device; default the whole state. */
  initialBytes?: number;
  /** Bytes per second each device dirties while it runs. Default 0. */
  dirtyRate?: number;
  /** Destination resource allocation when loading the initial data, in ms. Default 0. */
  loadDelayMs?: number;
  /** STOP_COPY read speed per device, bytes/s; default unbounded. */
  saveBytesPerSecond?: number;
  /** RESUMING write speed per device, bytes/s; default unbounded. */
  loadBytesPerSecond?: number;
  /** `MigrationFlags` bits; default STOP_COPY|P2P|PRE_COPY. */
  flags?: number;
}

/** The network between the two hosts: one wire each way, shared by every channel. */
export interface LinkModel {
  /** Bytes per second each way; 0 = unlimited. */
  bandwidth: number;
  /** One-way latency in ms. Default 0. */
  latencyMs?: number;
}

/** One combination of migration settings, named like the command-line options (camelCase). */
export interface PlanSettings {
  /** Multifd channels beside the main one. */
  channels: number;
  multifd: "on" | "off" | "auto";
  switchoverAck: boolean;
  /** QEMU's downtime-limit, in ms. */
  downtimeLimit: number;
  /** Pre-copy rate limit in bytes/s (0 = unlimited); undefined = QEMU's default 128 MiB/s. */
  bandwidth?: number;
  /** QEMU's avail-switchover-bandwidth in bytes/s; undefined = measured. */
  switchoverBandwidth?: number;
}

/** Each setting as one value or the values to try. */
export type PlanSweep = { [K in keyof PlanSettings]?: PlanSettings[K] | readonly PlanSettings[K][] };

export type PlanObjective = "downtime" | "total";

export interface PlanOptions {
  device: DeviceModel;
  link: LinkModel;
  /** Settings to try; an absent setting takes QEMU's default. */
  sweep?: PlanSweep;
  /** What `best` minimises among converged rows. Default "downtime". */
  objective?: PlanObjective;
  /** Virtual time after which a migration that has not switched over counts as not converging. Default 10 min. */
  horizonMs?: number;
  /** Bytes moved, as a multiple of the devices' total state, after which it counts as not converging. Default 20. */
  maxPasses?: number;
  /** Called after each row, for progress. */
  onRow?: (row: PlanRow, index: number, total: number) => void;
}

/** The prediction for one combination of settings. */
export interface PlanRow extends PlanSettings {
  /** From VM stop until the destination runs; null when the migration did not complete. */
  downtimeMs: number | null;
  /** From the start until the end of the migration (or until it was given up). */
  totalMs: number;
  /** Bytes sent on every channel. */
  bytes: number;
  /** Pre-copy iterations. */
  iterations: number;
  converged: boolean;
  /** Why it did not converge (or failed); absent when it converged. */
  reason?: string;
}

export interface Plan {
  rows: PlanRow[];
  /** The converged row with the lowest objective (ties: the earlier row); null when none converged. */
  best: PlanRow | null;
  /**
   * Sizes and rates were divided by this factor to run (time is invariant under that scaling; see
   * docs/planner.md); byte counts in the rows are scaled back.
   */
  scale: number;
}
