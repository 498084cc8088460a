// `vfio-migration receive --listen HOST:PORT`: the destination as its own process.
import { receive } from "../../engine/destination.js";
import { buildDevices } from "../devices.js";
import { capabilitiesFrom, multifdFrom } from "../migration-options.js";
import { prepare } from "../command.js";
import { DEVICE_OPTIONS, hostPort, milliseconds, MIGRATION_OPTIONS, TIMEOUT_OPTIONS, TIMEOUT_USAGE, timeoutsFrom } from "../options.js";
import { printReport, sideReport } from "../report.js";
import { destinationAcceptor, TLS_RECEIVE_OPTIONS, TLS_RECEIVE_USAGE, tlsFrom } from "../tls-options.js";

const USAGE = `usage: vfio-migration receive --listen HOST:PORT [device options as for simulate] [--switchover-ack]
  [--channels N] [--multifd on|off|auto] [--checksum none|crc32c|xxh3] [--json]
  ${TLS_RECEIVE_USAGE}
  ${TIMEOUT_USAGE} [--wait-timeout MS]
Prints "listening on HOST:PORT" on stderr once bound (port 0 picks a free one), then waits for one
migration (at most --wait-timeout, default 600000 ms). Exit status: 0 completed (the VM runs here),
1 failed or cancelled (it does not), 2 usage.`;

const OPTIONS = {
  ...DEVICE_OPTIONS,
  ...MIGRATION_OPTIONS,
  ...TLS_RECEIVE_OPTIONS,
  ...TIMEOUT_OPTIONS,
  listen: { type: "string" },
  "wait-timeout": { type: "string", default: "600000" },
} as const;

export async function run(argv: string[]): Promise<number> {
  const prepared = await prepare(argv, OPTIONS, USAGE, (args) => ({
    listen: hostPort(args.listen, "listen"),
    tls: tlsFrom(args, "receive"),
    devices: buildDevices(args, true),
    capabilities: capabilitiesFrom(args),
    multifd: multifdFrom(args),
    timeouts: { ...timeoutsFrom(args), acceptTimeoutMs: milliseconds(args["wait-timeout"], "wait-timeout") },
  }));
  if (prepared.exit !== undefined) return prepared.exit;
  const { json, setup } = prepared;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  // SIGTERM (service managers, `kill`) is a request to stop like Ctrl-C: the cancel path, never a silent death.
  // Both are handled before "listening on" is printed, so whoever reacts to that line is heard.
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const acceptor = await destinationAcceptor(setup.listen, setup.tls).catch((err: unknown) => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    throw err;
  });
  process.stderr.write(`listening on ${acceptor.address.host}:${acceptor.address.port}\n`);
  try {
    const result = await receive({ devices: setup.devices, acceptor, capabilities: setup.capabilities, multifd: setup.multifd, ...setup.timeouts, signal: controller.signal });
    return printReport(sideReport(result), json);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await acceptor.close();
  }
}
