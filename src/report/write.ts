// `--report FILE.html` for simulate and send (Node only: it writes a file).
import { writeFile } from "node:fs/promises";
import type { MigrationProgress } from "../engine/result.js";
import type { TraceRecorder } from "../engine/trace.js";
import type { Dialer } from "../transport/types.js";
import type { CliReport } from "./result.js";
import { reportData, RunRecorder } from "./from-run.js";
import { renderReport } from "./render.js";

/** What a command hands `migrate()` (a counted dialer, a progress callback), and the writer of the file afterwards. */
export interface RunReport {
  readonly dialer: Dialer;
  readonly onProgress: (progress: MigrationProgress) => void;
  /** Renders the run to the file; `title` is usually the command line. Does nothing without a file. */
  write(result: CliReport, title: string): Promise<void>;
}

export function runReport(file: string | undefined, trace: TraceRecorder, dialer: Dialer, onProgress: (progress: MigrationProgress) => void): RunReport {
  if (file === undefined) return { dialer, onProgress, write: async () => {} };
  const recorder = new RunRecorder(() => trace.now());
  return {
    dialer: recorder.dialer(dialer),
    onProgress: (progress) => {
      onProgress(progress);
      recorder.progress(progress);
    },
    async write(result, title) {
      const timeline = { trace: trace.entries, events: trace.events, channels: recorder.channels(), pending: recorder.pending };
      await writeFile(file, renderReport(reportData(result, timeline, { title })));
    },
  };
}
