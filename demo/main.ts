// The demo page: starts a source and a destination Web Worker, hands them the two ends of a control
// MessageChannel (every migration channel is opened over it), shows progress, then the timeline report
// and the `--json` result of the CLI.
import { combine } from "./combine.js";
import type { CancelMessage, DoneMessage, RunMessage, Side, WorkerMessage } from "./protocol.js";
import { DEMO_DEFAULTS, demoArgs } from "./settings.js";
import { showDone, showOutcome, showProgress, showReport, showResult, showSettings } from "./view.js";

function spawn(side: Side): Worker {
  // Literal URLs, so the bundler finds and builds each worker.
  return side === "source"
    ? new Worker(new URL("./source-worker.ts", import.meta.url), { type: "module", name: "source" })
    : new Worker(new URL("./destination-worker.ts", import.meta.url), { type: "module", name: "destination" });
}

/** How long the destination may take to notice on its own that a source that dialed has ended (as `simulate` waits). */
const DESTINATION_GRACE_MS = 2000;

function run(side: Side, port: MessagePort, search: string): { worker: Worker; done: Promise<DoneMessage> } {
  const worker = spawn(side);
  const done = new Promise<DoneMessage>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      if (data.type === "progress") return showProgress(data.progress, data.total);
      worker.terminate();
      if (data.type === "crash") return reject(new Error(`${side} worker: ${data.message}`));
      showDone(side, data.result.status, data.result.bytes);
      resolve(data);
    };
    worker.onerror = (event) => reject(new Error(`${side} worker: ${event.message}`));
  });
  const message: RunMessage = { type: "run", search, port };
  worker.postMessage(message, [port]);
  return { worker, done };
}

async function main(): Promise<void> {
  const search = location.search;
  showSettings(new URLSearchParams(search), DEMO_DEFAULTS);
  const args = demoArgs(search); // Bad settings fail here, before any worker starts.
  const control = new MessageChannel();
  const sourceRun = run("source", control.port1, search);
  const destinationRun = run("destination", control.port2, search);
  const source = await sourceRun.done;
  // A source that opened no channel (refused before dialing) leaves the destination waiting for one that
  // cannot come: stop it now. One that did gets the grace to be noticed by the destination on its own.
  const cancel = (): void => destinationRun.worker.postMessage({ type: "cancel" } satisfies CancelMessage);
  if (source.channels.length === 0) cancel();
  const grace = setTimeout(cancel, DESTINATION_GRACE_MS);
  const destination = await destinationRun.done.finally(() => clearTimeout(grace));
  const title = `vfio-migration demo: ${args.devices} devices between two Web Workers over MessagePort`;
  const { json, report } = combine(source, destination, title);
  showReport(report);
  const equal = json.devices.every((d) => d.sourceDigest !== null && d.sourceDigest === d.destinationDigest);
  const downtime = json.downtimeMs === null ? "" : `, downtime ${json.downtimeMs} ms`;
  showOutcome(json.status === "completed" && equal, `${json.status}: ${json.devices.length} devices, ${equal ? "all digests equal" : "digests differ"}${downtime}`);
  showResult(json);
}

main().catch((err: unknown) => {
  const error = err as { code?: string; message?: string };
  showOutcome(false, String(err));
  showResult({ status: "failed", error: { code: error.code ?? "ERR_DEMO", message: error.message ?? String(err) } });
});
