// The goal of issue 13: a two-process migration (`receive`, then `send`) against a raw two-process
// Node TCP pump moving the same bytes over as many connections, alternated round by round in one
// run. Each configuration's time is its sender's own: the source's `totalMs` (connect, setup,
// every byte loaded and confirmed) and the pump sender's time from connecting to the last answer,
// so neither counts process start. Each round also runs the pump with a device's two byte passes
// (the source's copy, the destination's compare; see support/tcp-pump.mjs), the ceiling of any
// migration with honest devices on this machine, and with those passes and an XXH3-64 check per
// 256 KiB, the ceiling with integrity. Reports medians of BENCH_ROUNDS rounds, GB/s (10^9 bytes of
// device state per second), the ratios to the pump and to both ceilings of the same round, and the
// receiver's peak RSS.
// Env: BENCH_ROUNDS (3), E2E_DEVICE_SIZE (1GiB per device), E2E_DEVICES (4), E2E_CHANNELS (4),
// E2E_CHECKSUMS (default: none and every integrity option `receive --help` lists), E2E_SEND_ARGS
// (more `send` options, e.g. "--channel-threads on"), E2E_RECEIVE_ARGS (more `receive` options, e.g.
// "--stall-timeout 60000": the receiver's main channel is silent while multifd carries the state).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseSize } from "../src/cli/sizes.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEVICE_BYTES = parseSize(process.env.E2E_DEVICE_SIZE ?? "1GiB", "E2E_DEVICE_SIZE");
const DEVICES = Number(process.env.E2E_DEVICES ?? 4);
const CHANNELS = Number(process.env.E2E_CHANNELS ?? 4);
const TOTAL = DEVICE_BYTES * DEVICES;
const SEND_ARGS = (process.env.E2E_SEND_ARGS ?? "").split(" ").filter(Boolean);
const RECEIVE_ARGS = (process.env.E2E_RECEIVE_ARGS ?? "").split(" ").filter(Boolean);
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const PUMP = fileURLToPath(new URL("./support/tcp-pump.mjs", import.meta.url));
/** Preloaded into each receiver: its peak RSS on stderr as it exits. */
const PEAK_RSS = `data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss "+process.resourceUsage().maxRSS+"\\n"))`;

interface Child {
  stdout: string;
  stderr: string;
  done: Promise<number>;
  /** Resolves with the first stdout/stderr line matching `pattern`. */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const child: Child = { stdout: "", stderr: "", done: undefined!, line: undefined! };
  const watchers = new Set<() => void>();
  const feed = (key: "stdout" | "stderr") => (chunk: Buffer) => {
    child[key] += chunk.toString();
    for (const watch of [...watchers]) watch();
  };
  proc.stdout.on("data", feed("stdout"));
  proc.stderr.on("data", feed("stderr"));
  child.done = new Promise((resolve) => proc.on("close", (code) => resolve(code ?? 1)));
  child.line = (pattern) =>
    new Promise((resolve, reject) => {
      const watch = () => {
        const m = (child.stdout + child.stderr).match(pattern);
        if (m) {
          watchers.delete(watch);
          resolve(m);
        }
      };
      watchers.add(watch);
      watch();
      void child.done.then(() => reject(new Error(`${args.join(" ")} exited without ${pattern}:\n${child.stderr}`)));
    });
  return child;
}

async function finish(child: Child, what: string): Promise<void> {
  const code = await child.done;
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${child.stdout}\n${child.stderr}`);
}

interface Sample {
  ms: number;
  peakRssMiB: number;
}

const peakRss = (child: Child): number => Number(child.stderr.match(/peak-rss (\d+)/)![1]) / 1024;

async function migration(checksum: string): Promise<Sample> {
  const device = ["--devices", String(DEVICES), "--state-size", String(DEVICE_BYTES), "--flags", "STOP_COPY,P2P"];
  const link = ["--channels", String(CHANNELS), "--multifd", "on", "--checksum", checksum];
  const receiver = start(["--import", PEAK_RSS, CLI, "receive", "--listen", "127.0.0.1:0", ...device, ...link, "--json", ...RECEIVE_ARGS]);
  const [, port] = await receiver.line(/listening on [^:]+:(\d+)/);
  const sender = start([CLI, "send", "--connect", `127.0.0.1:${port}`, ...device, ...link, "--bandwidth", "0", "--switchover-bandwidth", "100GB", "--json", ...SEND_ARGS]);
  await Promise.all([finish(sender, "send"), finish(receiver, "receive")]);
  const source = JSON.parse(sender.stdout) as { status: string; totalMs: number; devices: { sourceDigest: string }[] };
  const destination = JSON.parse(receiver.stdout) as { status: string; devices: { destinationDigest: string }[] };
  const digestsMatch = source.devices.every((d, i) => d.sourceDigest === destination.devices[i].destinationDigest);
  if (source.status !== "completed" || destination.status !== "completed" || !digestsMatch) {
    throw new Error(`migration with --checksum ${checksum} did not complete with equal digests: ${sender.stdout} ${receiver.stdout}`);
  }
  return { ms: source.totalMs, peakRssMiB: peakRss(receiver) };
}

/** The raw pump; `passes` adds a device's two byte passes, `checked` those and XXH3 (see tcp-pump.mjs). */
async function pump(kind: "raw" | "passes" | "checked"): Promise<Sample> {
  const each = String(TOTAL / CHANNELS);
  const mode = kind === "raw" ? [] : [kind];
  const receiver = start(["--import", PEAK_RSS, PUMP, "receive", String(CHANNELS), each, ...mode]);
  const [, port] = await receiver.line(/listening on (\d+)/);
  const sender = start([PUMP, "send", port, String(CHANNELS), each, ...mode]);
  await Promise.all([finish(sender, "pump send"), finish(receiver, "pump receive")]);
  return { ms: (JSON.parse(sender.stdout) as { ms: number }).ms, peakRssMiB: peakRss(receiver) };
}

/** `none` and every integrity option the CLI offers, as its usage lists them. */
async function checksumOptions(): Promise<string[]> {
  if (process.env.E2E_CHECKSUMS) return process.env.E2E_CHECKSUMS.split(",");
  const help = start([CLI, "receive", "--help"]);
  await help.done;
  const listed = (help.stdout + help.stderr).match(/--checksum ([\w|]+)/)![1].split("|");
  return ["none", ...listed.filter((name) => name !== "none")];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gbps = (ms: number): number => TOTAL / 1e6 / ms;

// The pumps write 1 MiB at a time; the checked pump's records carry 256 KiB each.
if (TOTAL % (1 << 20) !== 0 || (TOTAL / CHANNELS) % (256 * 1024) !== 0) throw new Error("E2E total size must be whole MiB, and a whole number of 256 KiB per channel");
const checksums = await checksumOptions();
const CEILING = "pump with device passes";
const CHECKED_CEILING = "pump with device passes and xxh3";
const names = ["pump", CEILING, CHECKED_CEILING, ...checksums.map((c) => `migration --checksum ${c}`)];
const samples = new Map<string, Sample[]>(names.map((n) => [n, []]));
/** Per configuration and round: its ratio to the pump, and to each ceiling, of the same round. */
const ratios = new Map<string, number[]>(names.map((n) => [n, []]));
const ceilingRatios = new Map<string, number[]>(names.map((n) => [n, []]));
const checkedCeilingRatios = new Map<string, number[]>(names.map((n) => [n, []]));
console.log(`e2e: ${DEVICES} devices x ${DEVICE_BYTES} bytes, ${CHANNELS} channels, ${ROUNDS} alternated rounds${SEND_ARGS.length ? `, send ${SEND_ARGS.join(" ")}` : ""}${RECEIVE_ARGS.length ? `, receive ${RECEIVE_ARGS.join(" ")}` : ""}`);
for (let round = 0; round < ROUNDS; round++) {
  const pumped = await pump("raw");
  const ceiling = await pump("passes");
  const checkedCeiling = await pump("checked");
  const line = [`round ${round + 1}: pump ${gbps(pumped.ms).toFixed(2)} GB/s, with passes ${gbps(ceiling.ms).toFixed(2)}, and xxh3 ${gbps(checkedCeiling.ms).toFixed(2)}`];
  const record = (name: string, sample: Sample) => {
    samples.get(name)!.push(sample);
    ratios.get(name)!.push(pumped.ms / sample.ms);
    ceilingRatios.get(name)!.push(ceiling.ms / sample.ms);
    checkedCeilingRatios.get(name)!.push(checkedCeiling.ms / sample.ms);
  };
  record("pump", pumped);
  record(CEILING, ceiling);
  record(CHECKED_CEILING, checkedCeiling);
  for (const checksum of checksums) {
    const migrated = await migration(checksum);
    record(`migration --checksum ${checksum}`, migrated);
    line.push(`${checksum} ${gbps(migrated.ms).toFixed(2)} GB/s`);
  }
  console.log(line.join(", "));
}
const rows = names.map((name) => {
  const list = samples.get(name)!;
  const ms = median(list.map((s) => s.ms));
  return {
    configuration: name,
    "GB/s (median)": Number(gbps(ms).toFixed(2)),
    "x pump": Number(median(ratios.get(name)!).toFixed(2)),
    "x ceiling": Number(median(ceilingRatios.get(name)!).toFixed(2)),
    "x ceiling with xxh3": Number(median(checkedCeilingRatios.get(name)!).toFixed(2)),
    "ms (median)": Math.round(ms),
    "receiver peak RSS MiB (max)": Math.round(Math.max(...list.map((s) => s.peakRssMiB))),
  };
});
console.table(rows);
