// SIMD CRC32C: 16 streams of STREAM_BYTES each per block, one stream per byte lane. Each 16-byte
// column of the 16 streams is transposed 16x16 into a scratch block, so vector j holds byte j of
// every stream; a step then advances all 16 registers by one byte with nibble-table swizzles.
// Register byte k of all streams lives in vector c_k. The 16 results are combined by shifts.
import { NIBBLE_HI, NIBBLE_LO, STREAM_BYTES, shiftStream } from "./crc32c-tables";

/** Bytes one SIMD block consumes. */
export const SIMD_BLOCK: usize = 16 * STREAM_BYTES;

const SCRATCH = memory.data(256, 64);

// @ts-ignore: decorator
@inline function lo8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

// @ts-ignore: decorator
@inline function hi8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

// One round of the transpose: row 2i and 2i+1 interleave rows i and i+8. Four rounds rotate the
// 8-bit (row, column) index by four, which is the transpose.
// @ts-ignore: decorator
@inline function interleaveRound(from: usize, to: usize): void {
  for (let i: usize = 0; i < 8; i++) {
    const a = v128.load(from + (i << 4));
    const b = v128.load(from + ((i + 8) << 4));
    v128.store(to + (i << 5), lo8(a, b));
    v128.store(to + (i << 5), hi8(a, b), 16);
  }
}

/** Transposes the 16x16 byte tile whose rows start `stride` apart at `ptr` into SCRATCH. */
// @ts-ignore: decorator
@inline function transpose(ptr: usize, stride: usize): void {
  const rows = SCRATCH;
  const tmp = memory.data(256, 64);
  // Round one reads the streams directly.
  for (let i: usize = 0; i < 8; i++) {
    const a = v128.load(ptr + i * stride);
    const b = v128.load(ptr + (i + 8) * stride);
    v128.store(tmp + (i << 5), lo8(a, b));
    v128.store(tmp + (i << 5), hi8(a, b), 16);
  }
  interleaveRound(tmp, rows);
  interleaveRound(rows, tmp);
  interleaveRound(tmp, rows);
}

/** 16 interleaved streams over `blocks` whole blocks at `ptr`, combined by shifts. */
export function crcSimdBlocks(c: u32, ptr: usize, blocks: usize): u32 {
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
    for (let t: usize = 0; t < STREAM_BYTES; t += 16) {
      transpose(ptr + t, STREAM_BYTES);
      for (let j: usize = 0; j < 256; j += 16) {
        const x = v128.xor(c0, v128.load(SCRATCH + j));
        const nlo = v128.and(x, mask);
        const nhi = v128.and(i16x8.shr_u(x, 4), mask);
        c0 = v128.xor(c1, v128.xor(i8x16.swizzle(lo0, nlo), i8x16.swizzle(hi0, nhi)));
        c1 = v128.xor(c2, v128.xor(i8x16.swizzle(lo1, nlo), i8x16.swizzle(hi1, nhi)));
        c2 = v128.xor(c3, v128.xor(i8x16.swizzle(lo2, nlo), i8x16.swizzle(hi2, nhi)));
        c3 = v128.xor(i8x16.swizzle(lo3, nlo), i8x16.swizzle(hi3, nhi));
      }
    }
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
    for (let i: usize = 1; i < 16; i++) acc = shiftStream(acc) ^ load<u32>(SCRATCH + (i << 2));
    c = acc;
    ptr += SIMD_BLOCK;
  }
  return c;
}
