// The README's API example: one simulated device over loopback TCP with switchover-ack and four
// multifd channels. `npx tsx examples/tcp-migration.ts`
import { init, migrate, receive, SimulatedDevice } from "../src/index.js";
import { tcpConnect, tcpListen } from "../src/transport/tcp.js";

export async function tcpMigration(log: (line: string) => void = () => {}) {
  await init(); // compiles the WASM core once (SIMD when available)
  const settings = { capabilities: { switchoverAck: true }, multifd: { channels: 4 } }; // the same on both ends

  // destination
  const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
  const incoming = [new SimulatedDevice({ name: "0000:00:04.0/vfio", stateSize: 64 << 20, incoming: true })];
  const received = receive({ devices: incoming, acceptor, ...settings });

  // source
  const devices = [new SimulatedDevice({ name: "0000:00:04.0/vfio", stateSize: 64 << 20, initialBytes: 4 << 20 })];
  const migration = migrate({
    devices,
    dialer: tcpConnect(acceptor.address),
    ...settings,
    switchoverBandwidth: 1e9,
    onProgress: (p) => log(`${p.phase} pending ${p.pendingBytes} ${p.notConverging ?? ""}`),
  });
  // migration.switchoverNow() forces the switchover; an AbortSignal (`signal`) cancels.
  const sent = await migration;
  const result = { sent, received: await received };
  await acceptor.close();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { sent, received } = await tcpMigration(console.log);
  console.log(sent.status, `downtime ${sent.downtimeMs?.toFixed(1)} ms`, sent.devices.map((d) => d.digest), received.devices.map((d) => d.digest));
}
