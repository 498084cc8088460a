// What both demo workers do around their end of the migration: settings, devices, trace, messages.
import { buildDevices } from "../src/cli/devices.js";
import { init, TraceRecorder, type MigratableDevice, type MigrationProgress, type MigrationResult } from "../src/index.js";
import type { PendingSample, ReportChannel } from "../src/report/index.js";
import { plainResult, type CancelMessage, type RunMessage, type Side, type WorkerMessage } from "./protocol.js";
import { demoArgs, type DemoArgs } from "./settings.js";

export interface SideRun {
  readonly args: DemoArgs;
  readonly devices: MigratableDevice[];
  readonly trace: TraceRecorder;
  /** The control port: the source dials over it, the destination accepts on it. */
  readonly port: MessagePort;
  readonly onProgress: (progress: MigrationProgress) => void;
  /** Aborts when the page sends "cancel". */
  readonly signal: AbortSignal;
}

export interface SideOutcome {
  readonly result: MigrationResult;
  readonly channels?: readonly ReportChannel[];
  readonly pending?: readonly PendingSample[];
}

/** Makes this worker run `side` when the page says so, reporting progress, the outcome or a crash. */
export function hostSide(side: Side, run: (s: SideRun) => Promise<SideOutcome>): void {
  const post = (message: WorkerMessage): void => self.postMessage(message);
  const cancel = new AbortController();
  self.onmessage = async ({ data }: MessageEvent<RunMessage | CancelMessage>) => {
    if (data.type === "cancel") return cancel.abort();
    try {
      await init();
      const args = demoArgs(data.search);
      const devices = buildDevices(args);
      const total = devices.reduce((sum, d) => sum + (d.stopCopySize() ?? 0), 0);
      const trace = new TraceRecorder();
      const onProgress = (progress: MigrationProgress): void => post({ type: "progress", progress, total });
      const outcome = await run({ args, devices, trace, port: data.port, onProgress, signal: cancel.signal });
      const { result, channels = [], pending = [] } = outcome;
      post({ type: "done", side, result: plainResult(result), origin: trace.origin, events: trace.events, channels, pending });
    } catch (err) {
      post({ type: "crash", side, message: String(err) });
    }
  };
}
