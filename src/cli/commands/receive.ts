// `vfio-migration receive --listen HOST:PORT`: the destination as its own process.
import { receive } from "../../engine/destination.js";
import { buildDevices } from "../devices.js";
import { capabilitiesFrom, multifdFrom } from "../migration-options.js";
import { prepare } from "../command.js";
import { DEVICE_OPTIONS, hostPort, MIGRATION_OPTIONS } from "../options.js";
import { printReport, sideReport } from "../report.js";
import { destinationAcceptor, TLS_RECEIVE_OPTIONS, TLS_RECEIVE_USAGE, tlsFrom } from "../tls-options.js";

const USAGE = `usage: vfio-migration receive --listen HOST:PORT [device options as for simulate] [--switchover-ack]
  [--channels N] [--multifd on|off|auto] [--checksum none|crc32c|xxh3] [--json]
  ${TLS_RECEIVE_USAGE}
Prints "listening on HOST:PORT" on stderr once bound (port 0 picks a free one), then waits for one migration.`;

const OPTIONS = { ...DEVICE_OPTIONS, ...MIGRATION_OPTIONS, ...TLS_RECEIVE_OPTIONS, listen: { type: "string" } } as const;

export async function run(argv: string[]): Promise<number> {
  const prepared = await prepare(argv, OPTIONS, USAGE, (args) => ({
    listen: hostPort(args.listen, "listen"),
    tls: tlsFrom(args, "receive"),
    devices: buildDevices(args),
    capabilities: capabilitiesFrom(args),
    multifd: multifdFrom(args),
  }));
  if (prepared.exit !== undefined) return prepared.exit;
  const { json, setup } = prepared;
  const acceptor = await destinationAcceptor(setup.listen, setup.tls);
  process.stderr.write(`listening on ${acceptor.address.host}:${acceptor.address.port}\n`);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once("SIGINT", onSignal);
  try {
    const result = await receive({ devices: setup.devices, acceptor, capabilities: setup.capabilities, multifd: setup.multifd, signal: controller.signal });
    return printReport(sideReport(result), json);
  } finally {
    process.off("SIGINT", onSignal);
    await acceptor.close();
  }
}
