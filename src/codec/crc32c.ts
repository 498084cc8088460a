import { sharedInstance, SHARED_WINDOW_BYTES } from "./wasm/load.js";

/**
 * CRC32C (Castagnoli) of `bytes`, continuing from `seed` (a previous result; 0 to start).
 * Bytes outside WASM memory are staged through a fixed window; `init()` must have resolved.
 */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  const wasm = sharedInstance();
  const base = wasm.heapBase;
  let crc = seed >>> 0;
  for (let at = 0; at < bytes.length; at += SHARED_WINDOW_BYTES) {
    const chunk = bytes.subarray(at, Math.min(bytes.length, at + SHARED_WINDOW_BYTES));
    wasm.bytes.set(chunk, base);
    crc = wasm.exports.crc32c(crc, base, chunk.length);
  }
  return crc >>> 0;
}
