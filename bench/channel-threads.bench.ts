// The sending side of 1 and 4 channels, TCP and TLS, each socket driven on this thread (direct)
// or on a worker thread of its own (threadedDialer), into a sink in another process. Besides the
// rate, the CPU this process spends per MiB (all threads) and what its main thread alone spends
// (Linux: /proc/self/task/PID/stat): threads take socket work off the main thread but add copies
// and messages, so they win only where spare cores absorb that.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { Bench } from "tinybench";
import { tcpConnect } from "../src/transport/tcp.js";
import { tlsConnect } from "../src/transport/tls.js";
// The channel thread's entry is JavaScript: `npm run bench` builds the package first.
import { threadedDialer } from "../dist/transport/threaded.js";
import type { Channel, Dialer } from "../src/transport/types.js";
import { makeTestCerts } from "../test/support/certs.js";

const MiB = 1 << 20;
const SAMPLE = 64 * MiB;
const WRITE = MiB;
const chunk = new Uint8Array(WRITE).map((_, i) => Math.imul(i, 2654435761) >>> 24);
const certs = makeTestCerts();

async function startSink(kind: "tcp" | "tls") {
  const child = fork(new URL("./support/sink.ts", import.meta.url), [kind, String(SAMPLE), JSON.stringify(certs)], { execArgv: ["--import", "tsx"] });
  const port = await new Promise<number>((resolve) => child.once("message", (m: { port: number }) => resolve(m.port)));
  return { port, stop: () => child.disconnect() };
}

/** Main-thread CPU ms so far (utime + stime in clock ticks of 10 ms). */
function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One sample: SAMPLE bytes on every channel at once, done when the sink acknowledged each. */
async function sample(channels: Channel[]): Promise<void> {
  const ack = new Uint8Array(1);
  await Promise.all(channels.map(async (channel) => {
    for (let sent = 0; sent < SAMPLE; sent += WRITE) await channel.write(chunk);
    if ((await channel.read(ack)) !== 1) throw new Error("sink ended early");
  }));
}

const CONFIGS = (["tcp", "tls"] as const).flatMap((kind) => [1, 4].flatMap((channels) => (["direct", "threaded"] as const).map((mode) => ({ kind, channels, mode }))));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const results = CONFIGS.map(() => ({ seconds: [] as number[], cpu: [] as number[], main: [] as number[] }));

const sinks = { tcp: await startSink("tcp"), tls: await startSink("tls") };
const dialers = (kind: "tcp" | "tls"): Record<"direct" | "threaded", Dialer> => {
  const target = { host: "127.0.0.1", port: sinks[kind].port };
  const tls = { ...certs.client, ca: certs.ca.cert };
  return kind === "tls"
    ? { direct: tlsConnect({ ...target, tls }), threaded: threadedDialer({ ...target, tls }) }
    : { direct: tcpConnect(target), threaded: threadedDialer(target) };
};

for (let round = 0; round <= ROUNDS; round++) {
  for (const [i, { kind, channels, mode }] of CONFIGS.entries()) {
    const dialer = dialers(kind)[mode];
    // Channels (and their threads) are opened and warmed outside the timing.
    const open = await Promise.all(Array.from({ length: channels }, (_, id) => dialer.dial(`multifd/${id}`)));
    await sample(open);
    let cpu = 0;
    let main = 0;
    const bench = new Bench({ time: 0, iterations: 1, warmup: false });
    bench.add(`${kind} ${channels} ${mode}`, async () => {
      const [cpu0, main0] = [process.cpuUsage(), mainThreadCpuMs()];
      await sample(open);
      const used = process.cpuUsage(cpu0);
      [cpu, main] = [(used.user + used.system) / 1000, mainThreadCpuMs() - main0];
    });
    await bench.run();
    const result = bench.tasks[0]!.result;
    if (result.state !== "completed") throw new Error(`${kind} ${channels} ${mode}: ${result.state}`);
    await Promise.all(open.map((channel) => channel.end()));
    await Promise.all(open.map((channel) => channel.closed));
    if (round === 0) continue; // warm-up round: JIT, pools, thread start
    const mib = (channels * SAMPLE) / MiB;
    results[i].seconds.push(result.latency.p50 / 1000);
    results[i].cpu.push(cpu / mib);
    results[i].main.push(main / mib);
  }
}
console.table(CONFIGS.map(({ kind, channels, mode }, i) => {
  const direct = CONFIGS.findIndex((c) => c.kind === kind && c.channels === channels && c.mode === "direct");
  return {
    transport: kind,
    channels,
    sockets: mode,
    rounds: ROUNDS,
    "GB/s (median)": ((channels * SAMPLE) / median(results[i].seconds) / 1e9).toFixed(2),
    "x direct (median of rounds)": median(results[i].seconds.map((s, r) => results[direct].seconds[r] / s)).toFixed(2),
    "process CPU ms/MiB": median(results[i].cpu).toFixed(2),
    "main thread CPU ms/MiB": median(results[i].main).toFixed(2),
  };
}));
sinks.tcp.stop();
sinks.tls.stop();
