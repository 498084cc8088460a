// Scalar CRC32C kernels on the raw register: slice-by-8, and three slice-by-8 streams interleaved
// over blocks of 3 streams so their table loads overlap instead of waiting on one chain.
import { SLICE, shiftBy, stepByte } from "./crc32c-tables";

// Byte k of `v` times 4, the offset of its table entry: two operations instead of three.
// @ts-ignore: decorator
@inline function entry0(v: u32): usize {
  return (v << 2) & 0x3fc;
}
// @ts-ignore: decorator
@inline function entry1(v: u32): usize {
  return (v >>> 6) & 0x3fc;
}
// @ts-ignore: decorator
@inline function entry2(v: u32): usize {
  return (v >>> 14) & 0x3fc;
}
// @ts-ignore: decorator
@inline function entry3(v: u32): usize {
  return (v >>> 22) & 0x3fc;
}

// @ts-ignore: decorator
@inline function slice8(c: u32, ptr: usize): u32 {
  const a = load<u32>(ptr) ^ c;
  const b = load<u32>(ptr, 4);
  return (
    load<u32>(entry0(a), SLICE + 7 * 1024) ^
    load<u32>(entry1(a), SLICE + 6 * 1024) ^
    load<u32>(entry2(a), SLICE + 5 * 1024) ^
    load<u32>(entry3(a), SLICE + 4 * 1024) ^
    load<u32>(entry0(b), SLICE + 3 * 1024) ^
    load<u32>(entry1(b), SLICE + 2 * 1024) ^
    load<u32>(entry2(b), SLICE + 1024) ^
    load<u32>(entry3(b), SLICE)
  );
}

/** Slice-by-8 over any length: the path for short inputs and tails. */
export function crcSlice8(c: u32, ptr: usize, len: usize): u32 {
  const end = ptr + len;
  while (ptr + 8 <= end) {
    c = slice8(c, ptr);
    ptr += 8;
  }
  while (ptr < end) {
    c = stepByte(c, load<u8>(ptr));
    ptr++;
  }
  return c;
}

/** Streams of the interleaved scalar kernel: a block is this many streams. */
export const SCALAR_STREAMS: usize = 3;

/**
 * Three interleaved streams of `stream` bytes (a multiple of 8) over `blocks` whole blocks at
 * `ptr`, combined with `shift`, the shift table for `stream` bytes.
 */
export function crcScalarBlocks(c: u32, ptr: usize, blocks: usize, stream: usize, shift: usize): u32 {
  for (let b: usize = 0; b < blocks; b++) {
    let c0 = c;
    let c1: u32 = 0;
    let c2: u32 = 0;
    for (let i: usize = 0; i < stream; i += 8) {
      c0 = slice8(c0, ptr + i);
      c1 = slice8(c1, ptr + stream + i);
      c2 = slice8(c2, ptr + 2 * stream + i);
    }
    c = shiftBy(shift, shiftBy(shift, c0) ^ c1) ^ c2;
    ptr += SCALAR_STREAMS * stream;
  }
  return c;
}
