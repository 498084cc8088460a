// The source end of the demo in a Web Worker: simulated devices, `migrate()` over MessagePort channels.
import { capabilitiesFrom, multifdFrom, sourceTuning } from "../src/cli/migration-options.js";
import { messagePortDialer, migrate } from "../src/index.js";
import { RunRecorder } from "../src/report/index.js";
import { hostSide } from "./worker-host.js";

hostSide("source", async ({ args, devices, trace, port, onProgress, signal }) => {
  const recorder = new RunRecorder(() => trace.now());
  const result = await migrate({
    devices,
    dialer: recorder.dialer(messagePortDialer(port)),
    trace,
    capabilities: capabilitiesFrom(args),
    multifd: multifdFrom(args),
    ...sourceTuning(args),
    signal,
    onProgress: (progress) => {
      recorder.progress(progress);
      onProgress(progress);
    },
  });
  return { result, channels: recorder.channels(), pending: recorder.pending };
});
