// `vfio-migration send --connect HOST:PORT`: the source as its own process.
import { migrate } from "../../engine/source.js";
import { capturingDialer } from "../capture.js";
import { buildDevices } from "../devices.js";
import { capabilitiesFrom, multifdFrom, sourceTuning } from "../migration-options.js";
import { prepare } from "../command.js";
import { DEVICE_OPTIONS, hostPort, milliseconds, MIGRATION_OPTIONS, onOff } from "../options.js";
import { progressView } from "../progress.js";
import { printReport, sideReport } from "../report.js";
import { runReport } from "../report/write.js";
import { TraceRecorder } from "../../engine/trace.js";
import { sourceDialer, TLS_SEND_OPTIONS, TLS_SEND_USAGE, tlsFrom } from "../tls-options.js";

const USAGE = `usage: vfio-migration send --connect HOST:PORT [device options as for simulate] [--switchover-ack]
  [--channels N] [--multifd on|off|auto] [--checksum none|crc32c|xxh3] [--bandwidth R] [--switchover-bandwidth R]
  [--downtime-limit MS] [--capture DIR] [--cancel-after MS] [--json] [--report FILE.html]
  ${TLS_SEND_USAGE} [--channel-threads on|off]`;

const OPTIONS = { ...DEVICE_OPTIONS, ...MIGRATION_OPTIONS, ...TLS_SEND_OPTIONS, connect: { type: "string" }, report: { type: "string" },
  // Off by default: on the machines we measured, threads cost more CPU than they free (docs/BENCHMARKS.md).
  "channel-threads": { type: "string", default: "off" } } as const;

export async function run(argv: string[]): Promise<number> {
  const prepared = await prepare(argv, OPTIONS, USAGE, (args) => ({
    connect: hostPort(args.connect, "connect"),
    tls: tlsFrom(args, "send"),
    threads: onOff(args["channel-threads"], "channel-threads"),
    devices: buildDevices(args),
    capabilities: capabilitiesFrom(args),
    multifd: multifdFrom(args),
    tuning: sourceTuning(args),
    cancelAfter: args["cancel-after"] === undefined ? undefined : milliseconds(args["cancel-after"], "cancel-after"),
    capture: args.capture,
    reportFile: args.report,
  }));
  if (prepared.exit !== undefined) return prepared.exit;
  const { json, setup } = prepared;
  const { connect, tls, threads, devices, capabilities, multifd, tuning, cancelAfter, capture, reportFile } = setup;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once("SIGINT", onSignal);
  const timer = cancelAfter === undefined ? undefined : setTimeout(() => controller.abort(), cancelAfter);
  const view = progressView(devices.reduce((sum, d) => sum + (d.stopCopySize() ?? 0), 0));
  try {
    const trace = new TraceRecorder();
    const report = runReport(reportFile, trace, capturingDialer(sourceDialer(connect, tls, threads), capture), (p) => view.update(p));
    const result = await migrate({ devices, dialer: report.dialer, trace, capabilities, multifd, ...tuning, signal: controller.signal, onProgress: report.onProgress });
    view.stop();
    const own = sideReport(result);
    await report.write(own, `vfio-migration send ${argv.join(" ")}`);
    return printReport(own, json);
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
  }
}
