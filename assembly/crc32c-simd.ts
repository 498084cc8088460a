// SIMD CRC32C: 16 streams per block, one stream per byte lane. Each 16-byte column of the 16
// streams is transposed 16x16 (bytes within groups of 4 streams through a scratch block, then
// dwords across groups in registers), so vector j holds byte j of every stream; a step then
// advances all 16 registers by one byte with nibble-table swizzles (i8x16.swizzle is WASM's only
// table lookup). Register byte k of all streams lives in vector c_k. The 16 results are combined
// by shifts.
import { NIBBLE_HI, NIBBLE_LO, shiftBy } from "./crc32c-tables";

/** Streams of the SIMD kernel, one per byte lane: a block is this many streams. */
export const SIMD_STREAMS: usize = 16;

const SCRATCH = memory.data(256, 64);
// The sum of the touch-ahead loads is stored here so the loads stay observable.
const TOUCHED = memory.data(4, 4);

// @ts-ignore: decorator
@inline function lo8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

// @ts-ignore: decorator
@inline function hi8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

// @ts-ignore: decorator
@inline function lo16(a: v128, b: v128): v128 {
  return i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
}

// @ts-ignore: decorator
@inline function hi16(a: v128, b: v128): v128 {
  return i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
}

// @ts-ignore: decorator
@inline function lo32(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 0, 4, 1, 5);
}

// @ts-ignore: decorator
@inline function hi32(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 2, 6, 3, 7);
}

/**
 * First half of the 16x16 transpose, for the 4 streams `stride` apart at `ptr`: 32-bit element e
 * of SCRATCH[k*4 + group] holds column 4k+e of those 4 streams.
 */
// @ts-ignore: decorator
@inline function transposeGroup(ptr: usize, stride: usize, group: usize): void {
  const r0 = v128.load(ptr);
  const r1 = v128.load(ptr + stride);
  const r2 = v128.load(ptr + 2 * stride);
  const r3 = v128.load(ptr + 3 * stride);
  const a0 = lo8(r0, r1);
  const a1 = hi8(r0, r1);
  const a2 = lo8(r2, r3);
  const a3 = hi8(r2, r3);
  const out = SCRATCH + (group << 4);
  v128.store(out, lo16(a0, a2));
  v128.store(out, hi16(a0, a2), 64);
  v128.store(out, lo16(a1, a3), 128);
  v128.store(out, hi16(a1, a3), 192);
}

/** Byte k of T_0[x] for all 16 lanes, from the nibble tables of byte k. */
// @ts-ignore: decorator
@inline function lookup(x: v128, lo: v128, hi: v128, mask: v128): v128 {
  return v128.xor(i8x16.swizzle(lo, v128.and(x, mask)), i8x16.swizzle(hi, v128.and(i16x8.shr_u(x, 4), mask)));
}

/**
 * 16 interleaved streams of `stream` bytes (a multiple of 16) over `blocks` whole blocks at `ptr`,
 * combined with `shift`, the shift table for `stream` bytes.
 */
export function crcSimdBlocks(c: u32, ptr: usize, blocks: usize, stream: usize, shift: usize): u32 {
  const mask = i8x16.splat(0x0f);
  const lo0 = v128.load(NIBBLE_LO);
  const lo1 = v128.load(NIBBLE_LO, 16);
  const lo2 = v128.load(NIBBLE_LO, 32);
  const lo3 = v128.load(NIBBLE_LO, 48);
  const hi0 = v128.load(NIBBLE_HI);
  const hi1 = v128.load(NIBBLE_HI, 16);
  const hi2 = v128.load(NIBBLE_HI, 32);
  const hi3 = v128.load(NIBBLE_HI, 48);
  for (let block: usize = 0; block < blocks; block++) {
    // Stream 0 continues the running register; the others start from zero.
    let c0 = i32x4.replace_lane(v128.splat<i32>(0), 0, c & 0xff);
    let c1 = i32x4.replace_lane(v128.splat<i32>(0), 0, (c >>> 8) & 0xff);
    let c2 = i32x4.replace_lane(v128.splat<i32>(0), 0, (c >>> 16) & 0xff);
    let c3 = i32x4.replace_lane(v128.splat<i32>(0), 0, c >>> 24);
    // Touch the cache lines two blocks ahead (WASM has no prefetch): 16 strided streams are a
    // pattern the hardware prefetchers do not follow. At 1 MiB out of L2 this ran ~1.4x faster;
    // one block ahead was too late. Near the end the touches fall on this block, in bounds.
    const next = block + 2 < blocks ? ptr + 2 * SIMD_STREAMS * stream : ptr;
    let touched: u32 = 0;
    for (let t: usize = 0; t < stream; t += 16) {
      const line = next + (t << 4);
      touched += load<u8>(line) + load<u8>(line, 64) + load<u8>(line, 128) + load<u8>(line, 192);
      const rows = ptr + t;
      transposeGroup(rows, stream, 0);
      transposeGroup(rows + 4 * stream, stream, 1);
      transposeGroup(rows + 8 * stream, stream, 2);
      transposeGroup(rows + 12 * stream, stream, 3);
      // Second half, fused with the steps: columns 4k..4k+3 of all 16 streams.
      for (let k: usize = 0; k < 256; k += 64) {
        const b0 = lo32(v128.load(SCRATCH + k), v128.load(SCRATCH + k, 16));
        const b1 = hi32(v128.load(SCRATCH + k), v128.load(SCRATCH + k, 16));
        const b2 = lo32(v128.load(SCRATCH + k, 32), v128.load(SCRATCH + k, 48));
        const b3 = hi32(v128.load(SCRATCH + k, 32), v128.load(SCRATCH + k, 48));
        // Four byte steps, unrolled so the transposed columns stay in registers.
        let x: v128;
        x = v128.xor(c0, i64x2.shuffle(b0, b2, 0, 2));
        c0 = v128.xor(c1, lookup(x, lo0, hi0, mask));
        c1 = v128.xor(c2, lookup(x, lo1, hi1, mask));
        c2 = v128.xor(c3, lookup(x, lo2, hi2, mask));
        c3 = lookup(x, lo3, hi3, mask);
        x = v128.xor(c0, i64x2.shuffle(b0, b2, 1, 3));
        c0 = v128.xor(c1, lookup(x, lo0, hi0, mask));
        c1 = v128.xor(c2, lookup(x, lo1, hi1, mask));
        c2 = v128.xor(c3, lookup(x, lo2, hi2, mask));
        c3 = lookup(x, lo3, hi3, mask);
        x = v128.xor(c0, i64x2.shuffle(b1, b3, 0, 2));
        c0 = v128.xor(c1, lookup(x, lo0, hi0, mask));
        c1 = v128.xor(c2, lookup(x, lo1, hi1, mask));
        c2 = v128.xor(c3, lookup(x, lo2, hi2, mask));
        c3 = lookup(x, lo3, hi3, mask);
        x = v128.xor(c0, i64x2.shuffle(b1, b3, 1, 3));
        c0 = v128.xor(c1, lookup(x, lo0, hi0, mask));
        c1 = v128.xor(c2, lookup(x, lo1, hi1, mask));
        c2 = v128.xor(c3, lookup(x, lo2, hi2, mask));
        c3 = lookup(x, lo3, hi3, mask);
      }
    }
    store<u32>(TOUCHED, touched);
    // Gather each stream's 32-bit register: bytes k of lane i from c_k, little-endian.
    const c01lo = lo8(c0, c1);
    const c01hi = hi8(c0, c1);
    const c23lo = lo8(c2, c3);
    const c23hi = hi8(c2, c3);
    v128.store(SCRATCH, i16x8.shuffle(c01lo, c23lo, 0, 8, 1, 9, 2, 10, 3, 11));
    v128.store(SCRATCH, i16x8.shuffle(c01lo, c23lo, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    v128.store(SCRATCH, i16x8.shuffle(c01hi, c23hi, 0, 8, 1, 9, 2, 10, 3, 11), 32);
    v128.store(SCRATCH, i16x8.shuffle(c01hi, c23hi, 4, 12, 5, 13, 6, 14, 7, 15), 48);
    let acc = load<u32>(SCRATCH);
    for (let i: usize = 1; i < 16; i++) acc = shiftBy(shift, acc) ^ load<u32>(SCRATCH + (i << 2));
    c = acc;
    ptr += SIMD_STREAMS * stream;
  }
  return c;
}
