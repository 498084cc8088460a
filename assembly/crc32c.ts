// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF).
// Inputs run through interleaved-stream kernels from the widest block down: the SIMD kernel (SIMD
// build only) and the 3-stream scalar kernel, each with long then short streams, then slice-by-8
// for the last bytes. Tables live in static memory; nothing is allocated.
import { SCALAR_STREAMS, crcScalarBlocks, crcSlice8 } from "./crc32c-scalar";
import { SIMD_STREAMS, crcSimdBlocks } from "./crc32c-simd";
import { LONG_STREAM, SHIFT_LONG, SHIFT_SHORT, SHORT_STREAM } from "./crc32c-tables";

/** Continues a CRC32C over `len` bytes at `ptr`. `crc` is the finalized value so far (0 to start). */
export function crc32c(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  const end = ptr + len;
  if (ASC_FEATURE_SIMD) {
    // Step to a 16-byte boundary first: every vector load of the kernel is then aligned (~5% here).
    const head: usize = (16 - (ptr & 15)) & 15;
    if (len >= head + SIMD_STREAMS * SHORT_STREAM) {
      c = crcSlice8(c, ptr, head);
      ptr += head;
    }
    let blocks = (end - ptr) / (SIMD_STREAMS * LONG_STREAM);
    c = crcSimdBlocks(c, ptr, blocks, LONG_STREAM, SHIFT_LONG);
    ptr += blocks * SIMD_STREAMS * LONG_STREAM;
    blocks = (end - ptr) / (SIMD_STREAMS * SHORT_STREAM);
    c = crcSimdBlocks(c, ptr, blocks, SHORT_STREAM, SHIFT_SHORT);
    ptr += blocks * SIMD_STREAMS * SHORT_STREAM;
  }
  let blocks = (end - ptr) / (SCALAR_STREAMS * LONG_STREAM);
  c = crcScalarBlocks(c, ptr, blocks, LONG_STREAM, SHIFT_LONG);
  ptr += blocks * SCALAR_STREAMS * LONG_STREAM;
  blocks = (end - ptr) / (SCALAR_STREAMS * SHORT_STREAM);
  c = crcScalarBlocks(c, ptr, blocks, SHORT_STREAM, SHIFT_SHORT);
  ptr += blocks * SCALAR_STREAMS * SHORT_STREAM;
  return ~crcSlice8(c, ptr, end - ptr);
}
