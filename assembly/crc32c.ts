// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF).
// Inputs run through interleaved-stream kernels from the widest block down: the SIMD kernel (SIMD
// build only) and the 3-stream scalar kernel, each with long then short streams, then slice-by-8
// for the last bytes. Tables live in static memory; nothing is allocated.
import { SCALAR_STREAMS, crcScalarBlocks, crcSlice8 } from "./crc32c-scalar";
import { SIMD_STREAMS, crcSimdBlocks } from "./crc32c-simd";
import { LONG_STREAM, SHIFT_LONG, SHIFT_SHORT, SHORT_STREAM } from "./crc32c-tables";

const SIMD_LONG_BLOCK = SIMD_STREAMS * LONG_STREAM;
const SIMD_SHORT_BLOCK = SIMD_STREAMS * SHORT_STREAM;
const SCALAR_LONG_BLOCK = SCALAR_STREAMS * LONG_STREAM;
const SCALAR_SHORT_BLOCK = SCALAR_STREAMS * SHORT_STREAM;

/** Continues a CRC32C over `len` bytes at `ptr`. `crc` is the finalized value so far (0 to start). */
export function crc32c(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  const end = ptr + len;
  // Each stage takes the whole blocks of what is left and leaves the remainder to the next.
  if (ASC_FEATURE_SIMD) {
    // Step to a 16-byte boundary first: every vector load of the kernel is then aligned (~5% here).
    const head: usize = (16 - (ptr & 15)) & 15;
    if (len >= head + SIMD_SHORT_BLOCK) {
      c = crcSlice8(c, ptr, head);
      ptr += head;
    }
    c = crcSimdBlocks(c, ptr, (end - ptr) / SIMD_LONG_BLOCK, LONG_STREAM, SHIFT_LONG);
    ptr = end - (end - ptr) % SIMD_LONG_BLOCK;
    c = crcSimdBlocks(c, ptr, (end - ptr) / SIMD_SHORT_BLOCK, SHORT_STREAM, SHIFT_SHORT);
    ptr = end - (end - ptr) % SIMD_SHORT_BLOCK;
  }
  c = crcScalarBlocks(c, ptr, (end - ptr) / SCALAR_LONG_BLOCK, LONG_STREAM, SHIFT_LONG);
  ptr = end - (end - ptr) % SCALAR_LONG_BLOCK;
  c = crcScalarBlocks(c, ptr, (end - ptr) / SCALAR_SHORT_BLOCK, SHORT_STREAM, SHIFT_SHORT);
  ptr = end - (end - ptr) % SCALAR_SHORT_BLOCK;
  return ~crcSlice8(c, ptr, end - ptr);
}
