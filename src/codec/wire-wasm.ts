// The TypeScript face of the WASM header readers (assembly/main-wire.ts). Headers are a few bytes
// and arrive in plain byte arrays, so each call stages through a small area of the shared instance:
// synchronous calls only, like crc32c(), so nothing else uses it meanwhile.
import type { ByteQueue } from "./byte-queue.js";
import type { CodecExports } from "./wasm/exports.js";
import { sharedInstance, type CodecInstance } from "./wasm/load.js";

/** The largest header a reader looks at: START/FULL with a 255-byte idstr. */
export const MAX_HEADER_BYTES = 14 + 255;
const STAGE_BYTES = 512;
const UUID_BYTES = 16;
const OUT_SLOTS = 8;

/** Where headers are staged in the shared instance, and the readers' results (out[0..7]). */
export interface HeaderArea {
  readonly exports: CodecExports;
  readonly bytes: Uint8Array;
  /** The staged header's first byte. */
  readonly at: number;
  /** 16 bytes for the expected hello uuid. */
  readonly uuid: number;
  readonly outPtr: number;
  readonly out: Uint32Array;
}

let area: HeaderArea | undefined;
let areaInstance: CodecInstance | undefined;

export function headerArea(): HeaderArea {
  const wasm = sharedInstance();
  if (area === undefined || areaInstance !== wasm) {
    const at = wasm.heapBase;
    const outPtr = at + STAGE_BYTES + UUID_BYTES;
    area = {
      exports: wasm.exports,
      bytes: wasm.bytes,
      at,
      uuid: at + STAGE_BYTES,
      outPtr,
      out: new Uint32Array(wasm.memory.buffer, outPtr, OUT_SLOTS),
    };
    areaInstance = wasm;
  }
  return area;
}

/** Bytes staged first: every fixed header fits, so only START/FULL with a long idstr is staged twice. */
const FIRST_STAGE_BYTES = 16;

/**
 * Stages queued bytes (not consumed) and runs a reader on them; returns its result. Stages a short
 * prefix first (queued bytes are often many small chunks) and, when the reader needs more than that
 * and the queue has it, exactly the header's length (at most `max`), then reads again.
 */
export function readQueued(q: ByteQueue, max: number, read: (wasm: HeaderArea, avail: number) => number): number {
  const wasm = headerArea();
  const first = Math.min(q.length, max, FIRST_STAGE_BYTES);
  q.copyTo(wasm.bytes, wasm.at, first);
  const result = read(wasm, first);
  if (result !== 0 || first === q.length || first === max) return result;
  const whole = Math.min(q.length, max, first + wasm.out[0]);
  q.copyTo(wasm.bytes, wasm.at, whole);
  return read(wasm, whole);
}

/** Stages up to `max` bytes of `bytes` from `offset` and runs a reader on them; returns its result. */
export function readBytes(bytes: Uint8Array, offset: number, max: number, read: (wasm: HeaderArea, avail: number) => number): number {
  const wasm = headerArea();
  const staged = bytes.subarray(offset, offset + max);
  wasm.bytes.set(staged, wasm.at);
  return read(wasm, staged.length);
}

/** assembly/main-wire.ts E_* numbers. */
export enum HeaderError {
  FILE_MAGIC = 1,
  FILE_VERSION,
  UNKNOWN_SECTION,
  UNEXPECTED_SECTION,
  TOO_LARGE,
  UNKNOWN_COMMAND,
  UNSUPPORTED_COMMAND,
  COMMAND_LENGTH,
  UNKNOWN_MARKER,
  EXPECTED_END_OF_STATE,
  FOOTER_MISSING,
  FOOTER_ID,
  TRAILING_BYTES,
  RP_UNKNOWN_TYPE,
  RP_BAD_LENGTH,
  HELLO_MAGIC,
  HELLO_VERSION,
  HELLO_UUID,
  HELLO_CHANNEL_ID,
}

/** HeaderError numbers to stable codes. */
export const HEADER_ERROR_CODES: readonly string[] = [
  "",
  "ERR_WIRE_BAD_MAGIC",
  "ERR_WIRE_BAD_VERSION",
  "ERR_WIRE_UNKNOWN_SECTION",
  "ERR_WIRE_UNEXPECTED_SECTION",
  "ERR_WIRE_TOO_LARGE",
  "ERR_WIRE_UNKNOWN_COMMAND",
  "ERR_WIRE_UNSUPPORTED_COMMAND",
  "ERR_WIRE_COMMAND_LENGTH",
  "ERR_WIRE_UNKNOWN_MARKER",
  "ERR_WIRE_EXPECTED_END_OF_STATE",
  "ERR_WIRE_BAD_FOOTER",
  "ERR_WIRE_BAD_FOOTER",
  "ERR_WIRE_TRAILING_BYTES",
  "ERR_RP_UNKNOWN_TYPE",
  "ERR_RP_BAD_LENGTH",
  "ERR_MULTIFD_BAD_MAGIC",
  "ERR_MULTIFD_BAD_VERSION",
  "ERR_MULTIFD_BAD_UUID",
  "ERR_MULTIFD_BAD_CHANNEL_ID",
];

/** A be64 a reader wrote as two u32 slots (lo, hi) from `slot`. */
export function outU64(out: Uint32Array, slot: number): bigint {
  return (BigInt(out[slot + 1]) << 32n) | BigInt(out[slot]);
}
