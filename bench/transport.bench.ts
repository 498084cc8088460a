// Channel throughput on this machine: 1 MiB writes, 32 MiB per sample, the reader reading into a
// 1 MiB buffer, over our memory pair, MessagePort, loopback TCP and TLS channels, against plain
// node:net sockets ('data' events, write callbacks) as the baseline a user would otherwise write.
import * as net from "node:net";
import { Bench } from "tinybench";
import { memoryPair } from "../src/transport/memory.js";
import { messagePortChannel } from "../src/transport/message-port.js";
import { tcpConnect, tcpListen } from "../src/transport/tcp.js";
import { tlsConnect, tlsListen } from "../src/transport/tls.js";
import type { Channel } from "../src/transport/types.js";
import { makeTestCerts } from "../test/support/certs.js";

const WRITE = 1 << 20;
const SAMPLE = 32 * WRITE;
const chunk = new Uint8Array(WRITE).map((_, i) => i * 31);

/** One sample: SAMPLE bytes from `a` to `b`, returning when `b` has read them all. */
function channelSample(a: Channel, b: Channel): () => Promise<void> {
  const target = new Uint8Array(WRITE);
  return async () => {
    const reader = (async () => {
      for (let got = 0; got < SAMPLE; ) {
        const n = await b.read(target);
        if (n === 0) throw new Error("unexpected end");
        got += n;
      }
    })();
    for (let sent = 0; sent < SAMPLE; sent += WRITE) await a.write(chunk);
    await reader;
  };
}

async function plainNetSample(): Promise<{ run: () => Promise<void>; close: () => void }> {
  let onBytes: (n: number) => void = () => {};
  const server = net.createServer((s) => s.on("data", (d: Buffer) => onBytes(d.length)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  client.setNoDelay(true);
  await new Promise((r) => client.once("connect", r));
  const write = () => new Promise<void>((resolve) => (client.write(chunk, () => (client.writableNeedDrain ? client.once("drain", resolve) : resolve()))));
  return {
    run: async () => {
      let got = 0;
      const received = new Promise<void>((resolve) => (onBytes = (n) => ((got += n) >= SAMPLE ? resolve() : undefined)));
      for (let sent = 0; sent < SAMPLE; sent += WRITE) await write();
      await received;
    },
    close: () => {
      client.destroy();
      server.close();
    },
  };
}

const certs = makeTestCerts();
const tcpAcceptor = await tcpListen({ port: 0 });
const [tcpA, tcpB] = await Promise.all([tcpConnect({ host: "127.0.0.1", port: tcpAcceptor.address.port }).dial("main"), tcpAcceptor.accept()]);
const tlsAcceptor = await tlsListen({ port: 0, tls: { ...certs.server, ca: certs.ca.cert, requireClientCert: true } });
const [tlsA, tlsB] = await Promise.all([
  tlsConnect({ host: "127.0.0.1", port: tlsAcceptor.address.port, tls: { ...certs.client, ca: certs.ca.cert } }).dial("main"),
  tlsAcceptor.accept(),
]);
const [memA, memB] = memoryPair();
const ports = new MessageChannel();
const [portA, portB] = [messagePortChannel(ports.port1), messagePortChannel(ports.port2)];
const plain = await plainNetSample();

const bench = new Bench({ time: Number(process.env.BENCH_TIME_MS ?? 3000), warmupTime: 500 });
bench.add("node:net sockets (baseline)", plain.run);
bench.add("tcpConnect/tcpListen channel", channelSample(tcpA, tcpB));
bench.add("tlsConnect/tlsListen channel (TLS 1.3)", channelSample(tlsA, tlsB));
bench.add("memoryPair", channelSample(memA, memB));
bench.add("messagePortChannel (one thread)", channelSample(portA, portB));
await bench.run();

const rates = new Map<string, number>();
for (const task of bench.tasks) {
  const result = task.result;
  if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`);
  rates.set(task.name, SAMPLE / (result.latency.p50 / 1000) / 1e9);
}
const base = rates.get("node:net sockets (baseline)")!;
console.table([...rates].map(([name, rate]) => ({ transport: name, "GB/s (median)": rate.toFixed(2), "x node:net": (rate / base).toFixed(2) })));

for (const c of [tcpA, tcpB, tlsA, tlsB, memA, memB, portA, portB]) c.destroy();
plain.close();
await Promise.all([tcpAcceptor.close(), tlsAcceptor.close()]);
