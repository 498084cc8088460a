// From a migration run to ReportData: the `--json` result plus what only a live run knows, the times.
import type { MigrationProgress } from "../engine/result.js";
import type { TraceEntry, TraceEvent } from "../engine/trace.js";
import type { Dialer } from "../transport/types.js";
import type { CliReport } from "./result.js";
import { ChannelMeter } from "./meter.js";
import type { PendingSample, ReportChannel, ReportData, ReportSummary, StateChange } from "./types.js";

/** What the `--json` result lacks, all on one clock: ms since the trace recorder started. */
export interface RunTimeline {
  readonly trace: readonly TraceEntry[];
  readonly events: readonly TraceEvent[];
  readonly channels: readonly ReportChannel[];
  readonly pending: readonly PendingSample[];
}

/** Collects, on the source, bytes over time per channel and the convergence figures of each check. */
export class RunRecorder {
  readonly #clock: () => number;
  readonly #meter: ChannelMeter;
  readonly pending: PendingSample[] = [];

  /** `clock`: the trace recorder's (`() => trace.now()`), so every time shares one origin. */
  constructor(clock: () => number) {
    this.#clock = clock;
    this.#meter = new ChannelMeter(clock);
  }

  /** The dialer to give `migrate()`: the same channels, counted. */
  dialer(inner: Dialer): Dialer {
    return this.#meter.wrap(inner);
  }

  /** Give it every progress event (`onProgress`); pre-copy ones become pending/threshold samples. */
  progress(p: MigrationProgress): void {
    if (p.side === "source" && p.phase === "active") this.pending.push({ t: this.#clock(), pendingBytes: p.pendingBytes, thresholdBytes: p.thresholdBytes });
  }

  channels(): ReportChannel[] {
    return this.#meter.channels();
  }
}

/** A VFIO device starts in RUNNING (uAPI); the trace holds the changes after that. No rows for a side not traced (`send`). */
function states(trace: readonly TraceEntry[], side: TraceEntry["side"], device: string): StateChange[] {
  if (!trace.some((e) => e.side === side)) return [];
  const changes = trace.filter((e) => e.side === side && e.device === device).map((e) => ({ t: e.t, state: e.state }));
  return [{ t: 0, state: "RUNNING" }, ...changes];
}

export interface ReportOptions {
  readonly title?: string;
  readonly details?: ReportSummary["details"];
}

export function reportData(result: CliReport, timeline: RunTimeline, options: ReportOptions = {}): ReportData {
  const vmStop = timeline.events.find((e) => e.kind === "VM_STOP");
  return {
    title: options.title,
    devices: result.devices.map((d) => ({
      name: d.name,
      flags: d.flags,
      source: states(timeline.trace, "source", d.name),
      destination: states(timeline.trace, "destination", d.name),
      sourceDigest: d.sourceDigest,
      destinationDigest: d.destinationDigest,
    })),
    channels: timeline.channels,
    pending: timeline.pending,
    markers: timeline.events.map((e) => ({ t: e.t, kind: e.kind, device: e.device })),
    downtime: vmStop && result.downtimeMs !== null ? { startMs: vmStop.t, endMs: vmStop.t + result.downtimeMs } : null,
    summary: {
      status: result.status,
      error: result.error,
      setupMs: result.setupMs,
      totalMs: result.totalMs,
      downtimeMs: result.downtimeMs ?? undefined,
      details: options.details,
    },
  };
}
