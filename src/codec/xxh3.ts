// The TypeScript face of the WASM XXH3-64 (assembly/xxh3.ts) for plain byte arrays.
import { sharedInstance, SHARED_WINDOW_BYTES } from "./wasm/load.js";

/** Inputs up to this many bytes hash in one call; longer ones go through the window in pieces. */
const ONE_SHOT_BYTES = SHARED_WINDOW_BYTES - 1024;
const BLOCK = 1024;
/** The last stripe reads 64 bytes back from the input's end: staged pieces keep that much history. */
const HISTORY = 64;
const PIECE_BYTES = 64 * BLOCK;

/**
 * XXH3-64 (seed 0, the default secret) of `bytes`, as an unsigned 64-bit BigInt. Bytes are staged
 * through the shared instance's window; `init()` must have resolved.
 */
export function xxh3(bytes: Uint8Array): bigint {
  const wasm = sharedInstance();
  const base = wasm.heapBase;
  const exports = wasm.exports;
  if (bytes.length <= ONE_SHOT_BYTES) {
    wasm.bytes.set(bytes, base);
    return BigInt.asUintN(64, exports.xxh3(base, bytes.length));
  }
  // The state sits at the window's start; pieces follow it after HISTORY bytes of lead-in.
  const state = base;
  const window = base + 64 + HISTORY;
  exports.xxh3Reset(state);
  // Whole blocks while at least one byte stays for the final call.
  const blocksEnd = Math.floor((bytes.length - 1) / BLOCK) * BLOCK;
  for (let at = 0; at < blocksEnd; at += PIECE_BYTES) {
    const end = Math.min(blocksEnd, at + PIECE_BYTES);
    wasm.bytes.set(bytes.subarray(at, end), window);
    exports.xxh3Blocks(state, window, (end - at) / BLOCK);
  }
  const tail = bytes.subarray(blocksEnd - HISTORY);
  wasm.bytes.set(tail, window - HISTORY);
  return BigInt.asUintN(64, exports.xxh3Final(state, window, bytes.length - blocksEnd, BigInt(bytes.length)));
}
