// XXH3-64 throughput, 64 B .. 16 MiB: our WASM (SIMD and scalar builds, in place on bytes already
// in WASM memory, as the multifd framer and scanner run it, and through the staging xxh3(bytes)),
// our BigInt TS reference (the test oracle; up to 64 KiB), hash-wasm's XXH3 and the native
// @node-rs/xxhash as yardsticks, and our SIMD CRC32C in place for the comparison that matters.
// Command: `npm run bench xxh3` (BENCH_ROUNDS, BENCH_TIME_MS as in bench/support/sweep.ts).
import { xxh3 as nativeXxh3 } from "@node-rs/xxhash";
import { createXXHash3 } from "hash-wasm";
import { xxh3, type CodecInstance } from "../src/codec/index.js";
import { crc32cReference } from "../src/codec/reference/crc32c.js";
import { xxh3Reference } from "../src/codec/reference/xxh3.js";
import { sweep, sweepData, wasmCandidates, type Candidate } from "./support/sweep.js";

const data = sweepData();
const hashWasm = await createXXHash3();

const inPlace = (wasm: CodecInstance, length: number) => BigInt.asUintN(64, wasm.exports.xxh3(wasm.heapBase, length));

// CRC32C in place, timed in the same run for the ratio that decides which check to negotiate.
const [crcSimd] = wasmCandidates("simd", "crc32c", (wasm, length) => wasm.exports.crc32c(0, wasm.heapBase, length) >>> 0, () => 0);
crcSimd.name = "crc32c wasm simd in place";
crcSimd.expected = crc32cReference;

const candidates: Candidate[] = [
  ...wasmCandidates("simd", "xxh3", inPlace, xxh3),
  ...wasmCandidates("scalar", "xxh3", inPlace, xxh3),
  { name: "TS reference (BigInt)", maxSize: 64 << 10, setup: (slice) => () => xxh3Reference(slice) },
  { name: "hash-wasm xxhash3", setup: (slice) => () => BigInt("0x" + hashWasm.init().update(slice).digest("hex")) },
  { name: "@node-rs/xxhash xxh3 (native)", setup: (slice) => () => nativeXxh3.xxh64(Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength)) },
  crcSimd,
];

await sweep(candidates, data, (bytes) => nativeXxh3.xxh64(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), "hash-wasm xxhash3");
