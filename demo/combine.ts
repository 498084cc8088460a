// Both workers' results into what the CLI's `simulate` prints (`--json`) and the timeline report.
import { simulateReport } from "../src/cli/report.js";
import type { CliReport } from "../src/report/result.js";
import type { MigrationResult, TraceEntry } from "../src/index.js";
import { renderReport, reportData } from "../src/report/index.js";
import type { DoneMessage, PlainResult } from "./protocol.js";

/** One trace of both sides on the source's clock, in time order, numbered again. */
function mergeTraces(source: DoneMessage, destination: DoneMessage): { trace: TraceEntry[]; shift: number } {
  const shift = destination.origin - source.origin;
  const moved = destination.result.trace.map((e) => ({ ...e, t: e.t + shift }));
  const trace = [...source.result.trace, ...moved].sort((a, b) => a.t - b.t).map((e, i) => ({ ...e, seq: i + 1 }));
  return { trace, shift };
}

function revive(result: PlainResult, trace: TraceEntry[]): MigrationResult {
  const error = result.error && Object.assign(new Error(result.error.message), result.error.code ? { code: result.error.code } : {});
  return { ...result, error, trace };
}

export function combine(source: DoneMessage, destination: DoneMessage, title: string): { json: CliReport; report: string } {
  const { trace, shift } = mergeTraces(source, destination);
  const json = simulateReport(revive(source.result, trace), revive(destination.result, trace));
  const events = [...source.events, ...destination.events.map((e) => ({ ...e, t: e.t + shift }))];
  const data = reportData(json, { trace, events, channels: source.channels, pending: source.pending }, { title });
  return { json, report: renderReport(data) };
}
