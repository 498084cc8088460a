// The CLI's view of a migration: one JSON object (issue 4's shape) or a readable summary.
import { flagNames } from "../engine/config.js";
import type { MigrationResult } from "../engine/result.js";
import type { TraceEntry } from "../engine/trace.js";
import { formatBytes } from "../report/format.js";
import type { CliReport } from "../report/result.js";

/** The trace as issue 4's `--json` has it: seq, side, device, state (times stay in the library's result). */
function jsonTrace(entries: readonly TraceEntry[]): CliReport["trace"] {
  return entries.map(({ seq, side, device, state }) => ({ seq, side, device, state }));
}

const ms = (x: number): number => Math.round(x * 10) / 10;

function errorOf(r: MigrationResult | undefined): CliReport["error"] {
  const e = r?.error;
  return e ? { code: e.code, message: e.message } : null;
}

/**
 * Both ends of `simulate`. Status and timings are the source's (it measures downtime); a device's
 * `finalState` is where the device lives at the end: the destination's when completed, else the source's.
 */
export function simulateReport(source: MigrationResult, destination: MigrationResult): CliReport {
  const completed = source.status === "completed" && destination.status === "completed";
  const failed = source.status !== "completed" ? source : destination;
  return {
    status: completed ? "completed" : failed.status,
    error: completed ? null : (errorOf(failed) ?? errorOf(destination)),
    setupMs: ms(source.setupMs),
    totalMs: ms(Math.max(source.totalMs, destination.totalMs)),
    downtimeMs: completed && source.downtimeMs !== undefined ? ms(source.downtimeMs) : null,
    bytes: source.bytes,
    devices: source.devices.map((d, i) => {
      const dst = destination.devices[i];
      return {
        name: d.name,
        flags: flagNames(d.flags),
        sourceDigest: d.digest ?? null,
        destinationDigest: dst?.digest ?? null,
        finalState: completed && dst ? dst.finalState : d.finalState,
      };
    }),
    trace: jsonTrace(source.trace),
  };
}

/** What a side's status means for its VM, and what the operator should do. */
function outcomeLine(r: MigrationResult): string {
  const how = r.recovered ? " (learnt over a recovery connection after the link broke)" : "";
  if (r.side === "destination") {
    return r.status === "completed" ? `the VM runs here${how}` : "the VM did not start here; the incoming state was discarded";
  }
  switch (r.status) {
    case "completed":
      return `the destination VM runs; this source VM stays stopped${how}`;
    case "in-doubt":
      return "IN DOUBT: committed, then lost the destination; this source VM stays stopped. Check the destination: resume the source only if the destination VM does not run";
    default:
      return `this source VM runs again, its devices RUNNING with their state intact${how}`;
  }
}

/** One end (`send` or `receive`): its own devices' digests and states. */
export function sideReport(r: MigrationResult): CliReport {
  const own = r.side;
  return {
    status: r.status,
    outcome: outcomeLine(r),
    ...(r.recovered ? { recovered: true } : {}),
    error: errorOf(r),
    setupMs: ms(r.setupMs),
    totalMs: ms(r.totalMs),
    downtimeMs: r.status === "completed" && r.downtimeMs !== undefined ? ms(r.downtimeMs) : null,
    bytes: r.bytes,
    devices: r.devices.map((d) => ({
      name: d.name,
      flags: flagNames(d.flags),
      sourceDigest: own === "source" ? (d.digest ?? null) : null,
      destinationDigest: own === "destination" ? (d.digest ?? null) : null,
      finalState: d.finalState,
    })),
    trace: jsonTrace(r.trace.filter((e) => e.side === own)),
  };
}

/** A few lines for people. */
export function summary(report: CliReport): string {
  const lines = [
    `migration ${report.status} in ${report.totalMs} ms (setup ${report.setupMs} ms` +
      (report.downtimeMs !== null ? `, downtime ${report.downtimeMs} ms)` : ")"),
  ];
  if (report.outcome) lines.push(`outcome: ${report.outcome}`);
  if (report.error) lines.push(`error: ${report.error.code}: ${report.error.message}`);
  const multifd = report.bytes.multifd.length ? report.bytes.multifd.map(formatBytes).join(" + ") : "none";
  lines.push(`bytes: main ${formatBytes(report.bytes.main)}, multifd ${multifd}`);
  for (const d of report.devices) {
    const both = d.sourceDigest !== null && d.destinationDigest !== null;
    // Only a completed migration promises equal states; after a failure the destination's is discarded.
    const verdict = !both ? "" : report.status !== "completed" ? "digests not compared" : d.sourceDigest === d.destinationDigest ? "digests equal" : "DIGESTS DIFFER";
    const digest = both ? `${d.sourceDigest}` : (d.sourceDigest ?? d.destinationDigest ?? "-");
    lines.push(`  ${d.name} [${d.flags}] ${d.finalState} digest ${digest} ${verdict}`.trimEnd());
  }
  return lines.join("\n");
}

/** Exit status 3: the source could not learn the outcome (docs/reliability.md). */
export const EXIT_IN_DOUBT = 3;

/** The exit status of a run: 0 only for a completed migration with equal digests where both are known; 3 in doubt. */
export function exitStatus(report: CliReport): number {
  if (report.status === "in-doubt") return EXIT_IN_DOUBT;
  if (report.status !== "completed") return 1;
  return report.devices.every((d) => d.sourceDigest === null || d.destinationDigest === null || d.sourceDigest === d.destinationDigest) ? 0 : 1;
}

/** Prints the report (one JSON line, or the summary) and returns the exit status. */
export function printReport(report: CliReport, json: boolean): number {
  if (json) process.stdout.write(JSON.stringify(report) + "\n");
  else process.stdout.write(summary(report) + "\n");
  return exitStatus(report);
}

/** A usage or setup error before any migration ran: exit 2, JSON `{"error":{code,message}}` with --json. */
export function printUsageError(err: unknown, json: boolean, usage: string): number {
  const code = (err as { code?: string }).code ?? "ERR_CLI_USAGE";
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + "\n");
  else process.stderr.write(`vfio-migration: ${message}\n${usage}\n`);
  return 2;
}
