// `vfio-migration simulate`: both ends in one process over a memory pair or loopback TCP.
import { migrate } from "../../engine/source.js";
import { receive } from "../../engine/destination.js";
import { settlesWithin } from "../../engine/session.js";
import { realClock } from "../../clock.js";
import { TraceRecorder } from "../../engine/trace.js";
import { memoryNetwork } from "../../transport/index.js";
import { tcpConnect, tcpListen } from "../../transport/tcp.js";
import type { Acceptor, Dialer } from "../../transport/types.js";
import { capturingDialer } from "../capture.js";
import { buildDevices } from "../devices.js";
import { capabilitiesFrom, multifdFrom, sourceTuning } from "../migration-options.js";
import { onInterrupt, prepare } from "../command.js";
import { Deadline } from "../deadline.js";
import { checkCaptureDir, checkReportFile } from "../paths.js";
import { DEVICE_OPTIONS, milliseconds, MIGRATION_OPTIONS, usageError } from "../options.js";
import { progressView } from "../progress.js";
import { printReport, simulateReport } from "../report.js";
import { runReport } from "../../report/write.js";

const USAGE = `usage: vfio-migration simulate [--transport memory|tcp] [--devices N] [--state-size 64MiB] [--initial-size S]
  [--dirty-rate R] [--load-delay MS] [--save-speed R] [--load-speed R] [--flags STOP_COPY,P2P,PRE_COPY] [--mtty]
  [--p2p-writes] [--seed N] [--channels N] [--multifd on|off|auto] [--checksum none|crc32c|xxh3] [--bandwidth R]
  [--switchover-bandwidth R] [--downtime-limit MS] [--switchover-ack] [--capture DIR] [--cancel-after MS] [--timeout MS]
  [--json] [--report FILE.html]
sizes: 60, 300MB (10^6), 100MiB (2^20); rates in bytes/s with the same suffixes
--timeout (default 600000 ms): a run that has not ended by then stops and fails with ERR_SIMULATE_TIMEOUT
("did not converge" while pre-copy still iterates), the source running again with its state.`;

/** How long the destination may take to notice, on its own, a source that dialed and then failed. */
const DESTINATION_GRACE_MS = 2000;

const OPTIONS = { ...DEVICE_OPTIONS, ...MIGRATION_OPTIONS, transport: { type: "string", default: "memory" }, report: { type: "string" },
  timeout: { type: "string", default: "600000" } } as const;

export async function run(argv: string[]): Promise<number> {
  const prepared = await prepare(argv, OPTIONS, USAGE, (args) => {
    if (args.transport !== "memory" && args.transport !== "tcp") throw usageError(`--transport: expected memory or tcp, got '${args.transport}'`);
    return {
      args,
      sources: buildDevices(args),
      destinations: buildDevices(args, true),
      multifd: multifdFrom(args),
      capabilities: capabilitiesFrom(args),
      tuning: sourceTuning(args),
      cancelAfter: args["cancel-after"] === undefined ? undefined : milliseconds(args["cancel-after"], "cancel-after"),
      timeoutMs: milliseconds(args.timeout, "timeout"),
      capture: checkCaptureDir(args.capture),
      reportFile: checkReportFile(args.report),
    };
  });
  if (prepared.exit !== undefined) return prepared.exit;
  const { json, setup } = prepared;
  const { args, sources, destinations, multifd, capabilities, tuning, cancelAfter, timeoutMs, capture, reportFile } = setup;
  const { dialer, acceptor } = await network(args.transport as "memory" | "tcp");
  let dialed = false;
  const counted: Dialer = { dial: (name, signal) => ((dialed = true), dialer.dial(name, signal)) };
  const trace = new TraceRecorder();
  const controller = new AbortController();
  const stopDestination = new AbortController();
  const timer = cancelAfter === undefined ? undefined : setTimeout(() => controller.abort(), cancelAfter);
  const deadline = new Deadline(timeoutMs, () => controller.abort());
  const removeInterrupt = onInterrupt(() => controller.abort());
  const totalBytes = sources.reduce((sum, d) => sum + (d.stopCopySize() ?? 0), 0);
  const view = progressView(totalBytes);
  try {
    const receiving = receive({ devices: destinations, acceptor, trace, capabilities, multifd, signal: stopDestination.signal });
    const report = runReport(reportFile, trace, capturingDialer(counted, capture), (p) => {
      deadline.progress(p);
      view.update(p);
    });
    const source = await migrate({ devices: sources, dialer: report.dialer, trace, capabilities, multifd, ...tuning, signal: controller.signal, onProgress: report.onProgress });
    // A source that failed before dialing leaves the destination waiting for a channel that cannot come: stop it.
    if (!dialed || !(await settlesWithin(realClock, receiving, DESTINATION_GRACE_MS))) stopDestination.abort();
    const destination = await receiving;
    view.stop();
    const result = deadline.verdict(simulateReport(source, destination));
    await report.write(result, `vfio-migration simulate ${argv.join(" ")}`);
    return printReport(result, json);
  } finally {
    clearTimeout(timer);
    deadline.clear();
    removeInterrupt();
    await acceptor.close();
  }
}

async function network(transport: "memory" | "tcp"): Promise<{ dialer: Dialer; acceptor: Acceptor }> {
  if (transport === "memory") return memoryNetwork();
  const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
  return { acceptor, dialer: tcpConnect(acceptor.address) };
}
