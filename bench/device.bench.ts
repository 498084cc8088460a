// SimulatedDevice throughput: what producing (STOP_COPY read) and verifying (RESUMING write) the
// simulated state costs per byte, next to the floor (a plain 1 MiB copy) and to what a CRC32C per
// byte would cost instead of the byte comparison the destination uses. Each sample moves 1 MiB.
import { Bench } from "tinybench";
import { crc32c, init } from "../src/codec/index.js";
import { Geometry, Pattern } from "../src/device/simulated/layout.js";
import { DeviceState as S, SimulatedDevice, setDeviceState } from "../src/index.js";

const CHUNK = 1 << 20;
const STATE = 256 << 20;
const STREAM = 64 << 20;
const buf = new Uint8Array(CHUNK);

const flavor = await init();

// Source: a 256 MiB device read in 1 MiB chunks; a finished stream is reopened (STOP -> STOP_COPY).
const source = new SimulatedDevice({ stateSize: STATE, seed: 1 });
await setDeviceState(source, S.STOP_COPY);
async function readChunk(device: SimulatedDevice): Promise<number> {
  let n = await device.read(buf);
  if (n === 0) {
    await setDeviceState(device, S.STOP);
    await setDeviceState(device, S.STOP_COPY);
    n = await device.read(buf);
  }
  return n;
}

// Destination: a recorded 64 MiB stream written back in 1 MiB chunks; at its end, reset and resume again.
const recorded = new SimulatedDevice({ stateSize: STREAM, seed: 2 });
await setDeviceState(recorded, S.STOP_COPY);
const stream = new Uint8Array(recorded.stopCopySize());
for (let at = 0, n; (n = await recorded.read(stream.subarray(at, at + CHUNK))) > 0; ) at += n;
const destination = new SimulatedDevice({ stateSize: STREAM, seed: 3, incoming: true });
await setDeviceState(destination, S.RESUMING);
let writeAt = 0;
async function writeChunk(): Promise<number> {
  if (writeAt >= stream.length) {
    await destination.reset();
    await setDeviceState(destination, S.RESUMING);
    writeAt = 0;
  }
  const part = stream.subarray(writeAt, writeAt + CHUNK);
  await destination.write(part);
  writeAt += part.length;
  return part.length;
}

// Both ends in one thread, as `simulate` runs them.
const pairSource = new SimulatedDevice({ stateSize: STATE, seed: 4 });
const pairDestination = new SimulatedDevice({ stateSize: STATE, seed: 5, incoming: true });
await setDeviceState(pairSource, S.STOP_COPY);
await setDeviceState(pairDestination, S.RESUMING);
async function pairChunk(): Promise<number> {
  const n = await pairSource.read(buf);
  if (n === 0) {
    for (const [device, state] of [[pairSource, S.STOP], [pairSource, S.STOP_COPY]] as const) await setDeviceState(device, state);
    await pairDestination.reset();
    await setDeviceState(pairDestination, S.RESUMING);
    return 0;
  }
  await pairDestination.write(buf.subarray(0, n));
  return n;
}

// The per-block CRC both ends compute for digests and the trailer (16 per MiB of state): a row of
// 16 calls, so that its ns/byte compares with the others as a cost per byte of state.
const blockPattern = new Pattern(6, new Geometry(STATE, 64 * 1024));
let generation = 0;
function blockCrcs(): number {
  let x = 0;
  generation++;
  for (let index = 0; index < 16; index++) x ^= blockPattern.blockCrc(index, generation);
  return x === 0.5 ? 0 : CHUNK;
}

const pattern = new Uint8Array(CHUNK).map((_, i) => Math.imul(i, 2654435761) >>> 24);
const tasks: { name: string; run(): Promise<number> | number }[] = [
  { name: "copy 1 MiB (buf.set, the floor)", run: () => (buf.set(pattern), CHUNK) },
  { name: "SimulatedDevice.read (STOP_COPY)", run: () => readChunk(source) },
  { name: "SimulatedDevice.write (RESUMING, verified; input from a 64 MiB array)", run: writeChunk },
  { name: "read + write, both ends in one thread (1 MiB buffer)", run: pairChunk },
  { name: `crc32c(1 MiB) (${flavor}), the per-byte CRC not used`, run: () => (crc32c(pattern), CHUNK) },
  { name: "Pattern.blockCrc x 16 (the block CRCs of 1 MiB of state)", run: blockCrcs },
];

const rows: Record<string, string>[] = [];
for (const task of tasks) {
  let bytes = 0;
  const bench = new Bench({ time: Number(process.env.BENCH_TIME_MS ?? 2000), warmupTime: 300 });
  bench.add(task.name, async () => {
    bytes += await task.run();
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`);
  // Median sample; every sample moves 1 MiB (a stream reopen counts as a 0-byte sample, rare).
  rows.push({ task: task.name, "GB/s (median)": (CHUNK / (result.latency.p50 / 1000) / 1e9).toFixed(2), "ns/byte": ((result.latency.p50 * 1e6) / CHUNK).toFixed(3) });
  if (bytes === 0.5) console.log(bytes); // never true: keeps the work observable
}
console.table(rows);
