// The slow pure-TS CRC32C: one byte-table step per byte, written straight from the definition
// (Castagnoli, reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF). It is the oracle the
// WASM kernels are tested against and the baseline they are benchmarked against.

const POLY = 0x82f63b78;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C of `bytes`, continuing from `seed` (a previous finalized result; 0 to start). */
export function crc32cReference(bytes: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * `crc32cReference` continued over the 4 little-endian bytes of `word`, without a buffer: for the
 * few bytes stepped per block where a WASM call would cost more than the work (the simulated
 * device's block stamps).
 */
export function crc32cWord(seed: number, word: number): number {
  let c = ~seed >>> 0;
  for (let shift = 0; shift < 32; shift += 8) c = TABLE[(c ^ (word >>> shift)) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
