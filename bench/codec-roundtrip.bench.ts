// Codec round trip over 256 MiB of 1 MiB device-state packets dealt across 4 channels out of order:
// the sender frames each packet in place (headers + CRC32C trailer), each channel's receive window is
// scanned in one call (boundaries, header checks, CRC32C verify), and every packet goes through the
// device's reorder index, whose in-order runs are marked written. Baseline: the two CRC32C passes
// alone over the same payloads. Target: the round trip costs at most 1.15x the baseline.
// The windows are the framed packets themselves (no socket copy: moving bytes is the transport's cost).
import { Bench } from "tinybench";
import {
  createInstance, DEVICE_STATE_DATA_OFFSET, deviceStatePacketBytes, frameDeviceStatePacket, init, MultifdScanner, ReorderIndex,
  reorderStateBytes, scanResultsBytes, type CodecInstance, type WasmFlavor,
} from "../src/codec/index.js";
import { frameDeviceStateReference } from "../src/codec/reference/frame.js";
import { ReorderReference } from "../src/codec/reference/reorder.js";
import { scanMultifdReference } from "../src/codec/reference/scan.js";
import { crc32cReference } from "../src/codec/reference/crc32c.js";

const MiB = 1 << 20;
const TOTAL_BYTES = 256 * MiB;
const CHUNK = MiB;
const CHANNELS = 4;
/** Packets in flight per round; 8 rounds make 256 MiB. */
const ROUND = 32;
const ROUNDS = TOTAL_BYTES / CHUNK / ROUND;
const IDSTR = "0000:00:04.0/vfio";
const PACKET = deviceStatePacketBytes(CHUNK, true);
const PER_CHANNEL = ROUND / CHANNELS;

/** A fixed pseudo-random deal of one round's indices: position -> idx offset (the same every round). */
const deal: number[] = (() => {
  const order = Array.from({ length: ROUND }, (_, i) => i);
  let x = 0x9e3779b9;
  for (let i = order.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
})();

interface Setup {
  instance: CodecInstance;
  /** Channel c's window: PER_CHANNEL framed packets back to back. */
  windows: number[];
  results: number;
  reorderState: number;
}

function setup(flavor: WasmFlavor): Setup {
  const windowBytes = PER_CHANNEL * PACKET;
  const resultsBytes = scanResultsBytes(PER_CHANNEL);
  const align = (n: number) => Math.ceil(n / 64) * 64;
  const instance = createInstance(CHANNELS * align(windowBytes) + align(resultsBytes) + 2 * reorderStateBytes(2 * ROUND), flavor);
  const windows = Array.from({ length: CHANNELS }, (_, c) => instance.heapBase + c * align(windowBytes));
  const results = instance.heapBase + CHANNELS * align(windowBytes);
  const data = instance.bytes;
  let x = 12345;
  for (let i = instance.heapBase; i < results; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[i] = x >>> 24;
    data[i + 1] = x >>> 16;
    data[i + 2] = x >>> 8;
    data[i + 3] = x;
  }
  return { instance, windows, results, reorderState: results + align(resultsBytes) };
}

/**
 * The WASM codec's round trip, one round (32 packets, 32 MiB) per call; the device's reorder index
 * and its indices carry on from call to call. Each call checks that all 32 packets were written in order.
 */
function roundTrip(s: Setup, checksum: boolean): () => void {
  const scanner = new MultifdScanner(s.instance, { results: s.results, maxRecords: PER_CHANNEL, maxPayloadBytes: 16 * MiB, checksum });
  // Each pipeline keeps its own index: the two modes run interleaved.
  const state = s.reorderState + (checksum ? 0 : reorderStateBytes(2 * ROUND));
  const index = new ReorderIndex(s.instance, state, 2 * ROUND, IDSTR);
  const stride = deviceStatePacketBytes(CHUNK, checksum);
  let round = 0;
  return () => {
    for (let c = 0; c < CHANNELS; c++) {
      for (let k = 0; k < PER_CHANNEL; k++) {
        const idx = round * ROUND + deal[k * CHANNELS + c];
        frameDeviceStatePacket(s.instance, s.windows[c] + k * stride, { idstr: IDSTR, instanceId: 0, idx, flags: 0, dataLength: CHUNK, checksum });
      }
    }
    let written = 0;
    for (let c = 0; c < CHANNELS; c++) {
      const summary = scanner.scan(s.windows[c], PER_CHANNEL * stride);
      if (summary.count !== PER_CHANNEL || summary.error) throw new Error(`channel ${c}: scanned ${summary.count} packets (${summary.error?.message})`);
      for (let i = 0; i < summary.count; i++) {
        const packet = scanner.packet(i);
        index.record(packet.idx, s.windows[c] + packet.offset);
      }
      const run = index.run();
      index.advance(run);
      written += run;
    }
    if (written !== ROUND) throw new Error(`round ${round}: wrote ${written} packets in order, want ${ROUND}`);
    round++;
  };
}

/** The baseline: the sender's and the receiver's CRC32C passes over one round's payloads, nothing else. */
function twoChecksumPasses(s: Setup): () => void {
  return () => {
    let sink = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < CHANNELS; c++) {
        for (let k = 0; k < PER_CHANNEL; k++) sink ^= s.instance.exports.crc32c(0, s.windows[c] + k * PACKET + 276, 12 + CHUNK);
      }
    }
    if (sink === 0.5) console.log(sink); // never true: keeps the results observable
  };
}

/** The same round trip with the pure-TypeScript references (slow: the oracle, as a baseline). */
function referenceRoundTrip(s: Setup): () => void {
  const bytes = s.instance.bytes;
  const index = new ReorderReference(2 * ROUND);
  const idstrBytes = new TextEncoder().encode(IDSTR);
  let round = 0;
  return () => {
    for (let c = 0; c < CHANNELS; c++) {
      for (let k = 0; k < PER_CHANNEL; k++) {
        const slot = s.windows[c] + k * PACKET;
        bytes.set(idstrBytes, slot + 12);
        frameDeviceStateReference(bytes, slot, idstrBytes.length, 0, round * ROUND + deal[k * CHANNELS + c], 0, CHUNK, true);
      }
    }
    let written = 0;
    for (let c = 0; c < CHANNELS; c++) {
      const scan = scanMultifdReference(bytes.subarray(s.windows[c], s.windows[c] + PER_CHANNEL * PACKET), 16 * MiB, true, PER_CHANNEL);
      if (scan.records.length !== PER_CHANNEL) throw new Error(`reference: channel ${c} scanned ${scan.records.length}`);
      for (const record of scan.records) index.record(record[4], record[0]);
      written += index.run();
      index.advance(index.run());
    }
    if (written !== ROUND) throw new Error(`reference round ${round}: wrote ${written}, want ${ROUND}`);
    round++;
  };
}

// Each task call moves one round (32 MiB); figures are scaled to 256 MiB (8 rounds). The baseline and
// the round trip run in alternation, REPEATS times, a small tinybench Bench each, so load from other
// processes hits both alike; the ratio reported is the median of the per-repeat ratios of medians.
const repeats = Number(process.env.BENCH_REPEATS ?? 21);
const iterations = Number(process.env.BENCH_ITERATIONS ?? 4);

async function medians(tasks: Array<[string, () => void]>): Promise<number[]> {
  const bench = new Bench({ time: 0, iterations, warmupTime: 0, warmupIterations: 1 });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  return bench.tasks.map((t) => {
    if (t.result.state !== "completed") throw new Error(`${t.name}: ${t.result.state}`);
    return t.result.latency.p50 * ROUNDS;
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (ms: number) => (TOTAL_BYTES / (ms / 1000) / 1e9).toFixed(2);

const rows: Record<string, string>[] = [];
for (const flavor of ["simd", "scalar"] as const) {
  await init({ flavor });
  const s = setup(flavor);
  const baseline = twoChecksumPasses(s);
  const withChecksums = roundTrip(s, true);
  const without = roundTrip(s, false);
  const base: number[] = [];
  const trip: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const [b, t] = await medians([
      ["two CRC32C passes alone", baseline],
      ["round trip", withChecksums],
    ]);
    base.push(b);
    trip.push(t);
    ratios.push(t / b);
  }
  const [bare] = await medians([["round trip without checksums", without]]);
  const row = (task: string, ms: number, ratio: string) => rows.push({ build: flavor, task, "ms / 256 MiB (median)": ms.toFixed(1), "GB/s of device data": rate(ms), "x baseline": ratio });
  const sorted = [...ratios].sort((a, b) => a - b);
  const quartiles = `${sorted[Math.floor(sorted.length / 4)].toFixed(3)}..${sorted[Math.floor((3 * sorted.length) / 4)].toFixed(3)}`;
  row("two CRC32C passes alone (baseline)", median(base), "1.000");
  row("round trip: frame + scan + verify + reorder", median(trip), `${median(ratios).toFixed(3)} (IQR ${quartiles})`);
  row("round trip without checksums: frame + scan + reorder", bare, (bare / median(base)).toFixed(4));
  if (flavor === "simd" && process.env.BENCH_REFERENCE !== "0") {
    const [reference] = await medians([["TS reference round trip", referenceRoundTrip(s)]]);
    row("TS reference round trip (with checksums)", reference, (reference / median(base)).toFixed(3));
  }
}
console.log(`${repeats} alternating repeats x ${iterations} calls of 32 MiB per task; Node ${process.version}`);
console.table(rows);
