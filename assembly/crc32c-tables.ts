// Lookup tables of the CRC32C kernels, in static memory and filled once when the instance starts.
// Registers here are "raw": not inverted, so raw(A||B, r) = shiftBytes(raw(A, r), |B|) ^ raw(B, 0).

const POLY: u32 = 0x82f63b78;

/**
 * Bytes each interleaved stream covers per block, long for bulk and short for inputs of a few KiB.
 * Combining streams shifts by exactly this length, so each length has its shift table.
 */
export const LONG_STREAM: usize = 256;
export const SHORT_STREAM: usize = 64;

/** Slice-by-8 tables: SLICE + k*1024 holds T_k[n] = raw CRC of byte n followed by k zero bytes. */
export const SLICE = memory.data(8 * 256 * 4, 64);

/** SHIFT_x + k*1024 + 4n: the register (n << 8k) advanced over x_STREAM zero bytes. */
export const SHIFT_LONG = memory.data(4 * 256 * 4, 64);
export const SHIFT_SHORT = memory.data(4 * 256 * 4, 64);

/** Nibble tables for the SIMD step: 16 bytes each, byte k of T_0[n] (lo) and of T_0[n << 4] (hi). */
export const NIBBLE_LO = memory.data(4 * 16, 64);
export const NIBBLE_HI = memory.data(4 * 16, 64);

function buildSlice(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(SLICE + (n << 2), c);
  }
  for (let k: usize = 1; k < 8; k++) {
    for (let n: usize = 0; n < 256; n++) {
      const prev = load<u32>(SLICE + (k - 1) * 1024 + (n << 2));
      store<u32>(SLICE + k * 1024 + (n << 2), load<u32>(SLICE + ((prev & 0xff) << 2)) ^ (prev >>> 8));
    }
  }
}

function advanceZeros(c: u32, count: usize): u32 {
  for (let i: usize = 0; i < count; i++) c = load<u32>(SLICE + ((c & 0xff) << 2)) ^ (c >>> 8);
  return c;
}

function buildShift(table: usize, zeros: usize): void {
  // The shift is linear: advance each of the 32 single-bit registers, then XOR their images.
  const bits = memory.data(32 * 4, 64);
  for (let b: u32 = 0; b < 32; b++) store<u32>(bits + (b << 2), advanceZeros(1 << b, zeros));
  for (let k: u32 = 0; k < 4; k++) {
    for (let n: u32 = 0; n < 256; n++) {
      let image: u32 = 0;
      for (let b: u32 = 0; b < 8; b++) {
        if (n & (1 << b)) image ^= load<u32>(bits + ((k * 8 + b) << 2));
      }
      store<u32>(table + ((k * 256 + n) << 2), image);
    }
  }
}

function buildNibbles(): void {
  for (let n: u32 = 0; n < 16; n++) {
    const lo = load<u32>(SLICE + (n << 2));
    const hi = load<u32>(SLICE + ((n << 4) << 2));
    for (let k: u32 = 0; k < 4; k++) {
      store<u8>(NIBBLE_LO + k * 16 + n, <u8>(lo >>> (8 * k)));
      store<u8>(NIBBLE_HI + k * 16 + n, <u8>(hi >>> (8 * k)));
    }
  }
}

buildSlice();
buildShift(SHIFT_LONG, LONG_STREAM);
buildShift(SHIFT_SHORT, SHORT_STREAM);
buildNibbles();

/** One byte step of the raw register. */
// @ts-ignore: decorator
@inline export function stepByte(c: u32, byte: u32): u32 {
  return load<u32>(SLICE + (((c ^ byte) & 0xff) << 2)) ^ (c >>> 8);
}

/** The raw register advanced over the zero bytes of a shift table (SHIFT_LONG or SHIFT_SHORT). */
// @ts-ignore: decorator
@inline export function shiftBy(table: usize, c: u32): u32 {
  return (
    load<u32>(table + ((c << 2) & 0x3fc)) ^
    load<u32>(table + ((c >>> 6) & 0x3fc), 1024) ^
    load<u32>(table + ((c >>> 14) & 0x3fc), 2048) ^
    load<u32>(table + ((c >>> 22) & 0x3fc), 3072)
  );
}
