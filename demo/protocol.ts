// Messages between the demo page and its two workers. Everything here survives structured cloning.
import type { PendingSample, ReportChannel } from "../src/report/index.js";
import type { MigrationProgress, MigrationResult, TraceEvent } from "../src/index.js";

export type Side = "source" | "destination";

/** Page -> worker: run one end of the migration; `port` carries its channels to the other worker. */
export interface RunMessage {
  readonly type: "run";
  /** A query string of the CLI's device and migration options by the same names. */
  readonly search: string;
  readonly port: MessagePort;
}

/** Page -> worker: give up (the destination, when the source ended without ever connecting). */
export interface CancelMessage {
  readonly type: "cancel";
}

/** A result with its error as plain data (structured cloning keeps neither an error's class nor its `code`). */
export type PlainResult = Omit<MigrationResult, "error"> & { error: { code?: string; message: string } | undefined };

export interface DoneMessage {
  readonly type: "done";
  readonly side: Side;
  readonly result: PlainResult;
  /** When this side's trace recorder started, on the wall clock shared by all workers (ms). */
  readonly origin: number;
  /** The recorder's marks; their `t`, like the result's trace, counts from `origin`. */
  readonly events: readonly TraceEvent[];
  /** Source only: bytes over time per channel and the convergence samples. */
  readonly channels: readonly ReportChannel[];
  readonly pending: readonly PendingSample[];
}

/** Worker -> page. `total`: the bytes the migration is expected to move (a progress bar's length). */
export type WorkerMessage =
  | { readonly type: "progress"; readonly progress: MigrationProgress; readonly total: number }
  | DoneMessage
  | { readonly type: "crash"; readonly side: Side; readonly message: string };

export function plainResult(result: MigrationResult): PlainResult {
  const error = result.error && { code: (result.error as { code?: string }).code, message: result.error.message };
  return { ...result, error };
}
