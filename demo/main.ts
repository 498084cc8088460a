// The demo page: starts a source and a destination Web Worker, hands them the two ends of a control
// MessageChannel (every migration channel is opened over it), shows progress, then the timeline report
// and the `--json` result of the CLI.
import { combine } from "./combine.js";
import type { DoneMessage, RunMessage, Side, WorkerMessage } from "./protocol.js";
import { DEMO_DEFAULTS, demoArgs } from "./settings.js";
import { showDone, showOutcome, showProgress, showReport, showResult, showSettings } from "./view.js";

function spawn(side: Side): Worker {
  // Literal URLs, so the bundler finds and builds each worker.
  return side === "source"
    ? new Worker(new URL("./source-worker.ts", import.meta.url), { type: "module", name: "source" })
    : new Worker(new URL("./destination-worker.ts", import.meta.url), { type: "module", name: "destination" });
}

function run(side: Side, port: MessagePort, search: string): Promise<DoneMessage> {
  const worker = spawn(side);
  return new Promise<DoneMessage>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      if (data.type === "progress") return showProgress(data.progress, data.total);
      worker.terminate();
      if (data.type === "crash") return reject(new Error(`${side} worker: ${data.message}`));
      showDone(side, data.result.status, data.result.bytes);
      resolve(data);
    };
    worker.onerror = (event) => reject(new Error(`${side} worker: ${event.message}`));
    const message: RunMessage = { type: "run", search, port };
    worker.postMessage(message, [port]);
  });
}

async function main(): Promise<void> {
  const search = location.search;
  showSettings(new URLSearchParams(search), DEMO_DEFAULTS);
  const args = demoArgs(search); // Bad settings fail here, before any worker starts.
  const control = new MessageChannel();
  const [source, destination] = await Promise.all([run("source", control.port1, search), run("destination", control.port2, search)]);
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
