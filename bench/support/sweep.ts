// A throughput sweep shared by the checksum benchmarks: every candidate over sizes 64 B .. 16 MiB,
// each sample ~1 MiB of work (small sizes repeat) so timer overhead stays negligible. The machine
// is shared and its load drifts, so the whole sweep runs ROUNDS times, candidates alternating
// within each round; a figure is the median over rounds, a ratio the median of per-round ratios.
import { Bench } from "tinybench";
import { createInstance, init, type CodecInstance, type WasmFlavor } from "../../src/codec/index.js";

export const SWEEP_SIZES = [64, 256, 1 << 10, 4 << 10, 64 << 10, 1 << 20, 16 << 20];
const SAMPLE_BYTES = 1 << 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 400);

export interface Candidate {
  name: string;
  /** What it must compute, when not the sweep's `expected` (a different function timed for comparison). */
  expected?: (bytes: Uint8Array) => unknown;
  /** Runs before this candidate is verified or timed (e.g. init() of its build). */
  before?: () => Promise<unknown>;
  /** Largest size it is timed at (slow references stop early). */
  maxSize?: number;
  /** Returns a function computing the result over `data`. */
  setup(data: Uint8Array): () => unknown;
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1]!;

async function rate(candidate: Candidate, slice: Uint8Array): Promise<number> {
  await candidate.before?.();
  const run = candidate.setup(slice);
  const reps = Math.max(1, SAMPLE_BYTES / slice.length);
  const bench = new Bench({ time: TIME_MS, warmupTime: 100 });
  let sink: unknown;
  bench.add(candidate.name, () => {
    for (let r = 0; r < reps; r++) sink = run();
  });
  await bench.run();
  if (sink === Symbol.for("never")) console.log(sink); // keeps the results observable
  const result = bench.tasks[0]!.result;
  if (result.state !== "completed") throw new Error(`${candidate.name}: ${result.state}`);
  return (slice.length * reps) / (result.latency.p50 / 1000) / 1e9;
}

/**
 * Verifies every candidate against `expected` at every size, then times the sweep; prints a table
 * with GB/s and the ratio to `baseline` (a candidate's name).
 */
export async function sweep(candidates: Candidate[], data: Uint8Array, expected: (bytes: Uint8Array) => unknown, baseline: string): Promise<void> {
  const rows: Record<string, string>[] = [];
  for (const size of SWEEP_SIZES) {
    const slice = data.subarray(0, size);
    const timed = candidates.filter((c) => size <= (c.maxSize ?? Infinity));
    for (const candidate of timed) {
      await candidate.before?.();
      const want = (candidate.expected ?? expected)(slice);
      const got = candidate.setup(slice)();
      if (got !== want) throw new Error(`${candidate.name} at ${size} B gave ${String(got)}, want ${String(want)}`);
    }
    const rounds: Map<string, number>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rates = new Map<string, number>();
      for (const candidate of timed) rates.set(candidate.name, await rate(candidate, slice));
      rounds.push(rates);
    }
    for (const { name } of timed) {
      const gbps = median(rounds.map((r) => r.get(name)!));
      const ratio = median(rounds.map((r) => r.get(name)! / r.get(baseline)!));
      const label = size < 1024 ? `${size} B` : size < 1 << 20 ? `${size >> 10} KiB` : `${size >> 20} MiB`;
      rows.push({ size: label, implementation: name, "GB/s (median)": gbps.toFixed(2), [`x ${baseline}`]: ratio.toFixed(2) });
    }
  }
  console.log(`Node ${process.version}, ${ROUNDS} rounds of ${TIME_MS} ms per candidate and size`);
  console.table(rows);
}

/** 16 MiB of deterministic bytes. */
export function sweepData(): Uint8Array {
  const data = new Uint8Array(SWEEP_SIZES.at(-1)!);
  for (let i = 0; i < data.length; i++) data[i] = Math.imul(i, 2654435761) >>> 24;
  return data;
}

const instances = new Map<WasmFlavor, CodecInstance>();

/** Loads `flavor` as the default build (staging functions follow it) with a 16 MiB instance of it. */
export async function useBuild(flavor: WasmFlavor): Promise<CodecInstance> {
  await init({ flavor });
  let instance = instances.get(flavor);
  if (!instance) instances.set(flavor, (instance = createInstance(SWEEP_SIZES.at(-1)!, flavor)));
  return instance;
}

/**
 * A WASM kernel timed in place (the bytes already in the instance's memory, as the engine runs it)
 * and the same through its staging function for plain byte arrays.
 */
export function wasmCandidates(flavor: WasmFlavor, what: string, inPlace: (wasm: CodecInstance, length: number) => unknown, staged: (bytes: Uint8Array) => unknown): Candidate[] {
  const before = () => useBuild(flavor);
  return [
    {
      name: `wasm ${flavor} in place`,
      before,
      setup(slice) {
        const wasm = instances.get(flavor)!;
        wasm.bytes.set(slice, wasm.heapBase);
        return () => inPlace(wasm, slice.length);
      },
    },
    { name: `wasm ${flavor} ${what}(bytes)`, before, setup: (slice) => () => staged(slice) },
  ];
}
