// A strict embedder of the packed package (test/package/package.test.ts type-checks it, it never runs).
import { connectPeers, init, isVfioMigrationError, memoryNetwork, migrate, receive, SimulatedDevice, VfioMigrationError, type MigrationResult } from "vfio-migration";
import { tcpConnect, tcpListen } from "vfio-migration/tcp";
import { tlsConnect, tlsListen } from "vfio-migration/tls";
import { threadedDialer } from "vfio-migration/threads";
import { captureChannel } from "vfio-migration/capture";
import { StreamDecoder, encodeMultifdHello } from "vfio-migration/wire";
import { renderReport, type CliReport, type ReportData } from "vfio-migration/report";

export async function embed(): Promise<string | undefined> {
  await init();
  const { dialer, acceptor } = memoryNetwork();
  const sources = [new SimulatedDevice({ name: "0000:00:04.0/vfio", stateSize: 1 << 20 })];
  const destinations = [new SimulatedDevice({ name: "0000:00:04.0/vfio", stateSize: 1 << 20, incoming: true })];
  connectPeers(sources);
  // @ts-expect-error test helpers are not part of the public API
  sources[0].blockContent(0);
  const received = receive({ devices: destinations, acceptor });
  const result: MigrationResult = await migrate({ devices: sources, dialer });
  await received;
  const error: VfioMigrationError | undefined = result.error;
  const code: string | undefined = result.error?.code;
  if (isVfioMigrationError(error)) return error.code;
  return code;
}

export const subpaths = [tcpConnect, tcpListen, tlsConnect, tlsListen, threadedDialer, captureChannel, StreamDecoder, encodeMultifdHello, renderReport];
export type Reports = [CliReport, ReportData];
