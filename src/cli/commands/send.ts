// `vfio-migration send --connect HOST:PORT`: the source as its own process.
import { init } from "../../codec/index.js";
import { migrate } from "../../engine/source.js";
import { tcpConnect } from "../../transport/tcp.js";
import { buildDevices } from "../devices.js";
import { capabilitiesFrom, multifdFrom, sourceTuning } from "../migration-options.js";
import { DEVICE_OPTIONS, hostPort, milliseconds, MIGRATION_OPTIONS, parse } from "../options.js";
import { progressView } from "../progress.js";
import { printReport, printUsageError, sideReport } from "../report.js";

const USAGE = `usage: vfio-migration send --connect HOST:PORT [device options as for simulate] [--switchover-ack]
  [--channels N] [--multifd on|off|auto] [--checksum] [--bandwidth R] [--switchover-bandwidth R]
  [--downtime-limit MS] [--cancel-after MS] [--json]`;

const OPTIONS = { ...DEVICE_OPTIONS, ...MIGRATION_OPTIONS, connect: { type: "string" } } as const;

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  let setup;
  try {
    const args = parse(argv, OPTIONS);
    if (args.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    setup = {
      connect: hostPort(args.connect, "connect"),
      devices: buildDevices(args),
      capabilities: capabilitiesFrom(args),
      multifd: multifdFrom(args),
      tuning: sourceTuning(args),
      cancelAfter: args["cancel-after"] === undefined ? undefined : milliseconds(args["cancel-after"], "cancel-after"),
    };
    await init();
  } catch (err) {
    return printUsageError(err, json, USAGE);
  }
  const { connect, devices, capabilities, multifd, tuning, cancelAfter } = setup;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once("SIGINT", onSignal);
  const timer = cancelAfter === undefined ? undefined : setTimeout(() => controller.abort(), cancelAfter);
  const view = progressView(devices.reduce((sum, d) => sum + (d.stopCopySize() ?? 0), 0));
  try {
    const result = await migrate({ devices, dialer: tcpConnect(connect), capabilities, multifd, ...tuning, signal: controller.signal, onProgress: (p) => view.update(p) });
    view.stop();
    return printReport(sideReport(result), json);
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
  }
}
