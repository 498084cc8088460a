// CRC32C throughput, 64 B .. 16 MiB: our WASM (SIMD and scalar builds, in place on data already in
// WASM memory and through the staging crc32c(bytes)), our TS reference, and what a user would pick
// instead. Command: `npm run bench crc32c` (BENCH_ROUNDS, BENCH_TIME_MS as in bench/support/sweep.ts).
import { createRequire } from "node:module";
import { createCRC32 } from "hash-wasm";
import { crc32c as nodeRsCrc32c } from "@node-rs/crc32";
import { crc32c, type CodecInstance } from "../src/codec/index.js";
import { crc32cReference } from "../src/codec/reference/crc32c.js";
import { sweep, sweepData, wasmCandidates, type Candidate } from "./support/sweep.js";

const require = createRequire(import.meta.url);
const fastNative = require("fast-crc32c/impls/sse4_crc32c") as { calculate(b: Uint8Array, s?: number): number };
const fastJs = require("fast-crc32c/impls/js_crc32c") as { calculate(b: Uint8Array, s?: number): number };

const CHECK = new TextEncoder().encode("123456789");
if (crc32cReference(CHECK) !== 0xe3069283) throw new Error("the reference misses the check value");

const hashWasm = await createCRC32(0x82f63b78);
function hashWasmCrc32c(bytes: Uint8Array): number {
  hashWasm.init();
  hashWasm.update(bytes);
  return new DataView(hashWasm.digest("binary").buffer).getUint32(0);
}

const inPlace = (wasm: CodecInstance, length: number) => wasm.exports.crc32c(0, wasm.heapBase, length) >>> 0;

const candidates: Candidate[] = [
  ...wasmCandidates("simd", "crc32c", inPlace, crc32c),
  ...wasmCandidates("scalar", "crc32c", inPlace, crc32c),
  { name: "TS reference", maxSize: 1 << 20, setup: (slice) => () => crc32cReference(slice) },
  { name: "hash-wasm", setup: (slice) => () => hashWasmCrc32c(slice) },
  { name: "fast-crc32c native (sse4_crc32)", setup: (slice) => () => fastNative.calculate(slice) >>> 0 },
  { name: "fast-crc32c pure JS", maxSize: 64 << 10, setup: (slice) => () => fastJs.calculate(slice) >>> 0 },
  { name: "@node-rs/crc32 crc32c", setup: (slice) => () => nodeRsCrc32c(slice) >>> 0 },
];

await sweep(candidates, sweepData(), crc32cReference, "hash-wasm");
