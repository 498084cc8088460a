// The `--json` result of a CLI run (issue 4's shape): what the CLI prints and what the HTML report reads.
import type { MigrationResult } from "../engine/result.js";
import type { TraceEntry } from "../engine/trace.js";

/** One run's result as `vfio-migration simulate|send|receive --json` prints it. */
export interface CliReport {
  status: MigrationResult["status"];
  /** One line: what happened to the VM on this side, and what to do (send and receive). */
  outcome?: string;
  /** The outcome was learnt over a recovery connection after the main one broke. */
  recovered?: boolean;
  error: { code: string; message: string } | null;
  setupMs: number;
  totalMs: number;
  downtimeMs: number | null;
  bytes: { main: number; multifd: number[] };
  devices: { name: string; flags: string; sourceDigest: string | null; destinationDigest: string | null; finalState: string }[];
  trace: Omit<TraceEntry, "t">[];
}
