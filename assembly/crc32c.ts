// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF).
// Long inputs run interleaved-stream kernels (SIMD in the SIMD build), tails and short inputs
// slice-by-8. Tables live in static memory; nothing is allocated.
import { SCALAR_BLOCK, crcScalarBlocks, crcSlice8 } from "./crc32c-scalar";
import { SIMD_BLOCK, crcSimdBlocks } from "./crc32c-simd";

/** Continues a CRC32C over `len` bytes at `ptr`. `crc` is the finalized value so far (0 to start). */
export function crc32c(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  if (ASC_FEATURE_SIMD) {
    const blocks = len / SIMD_BLOCK;
    if (blocks > 0) {
      c = crcSimdBlocks(c, ptr, blocks);
      ptr += blocks * SIMD_BLOCK;
      len -= blocks * SIMD_BLOCK;
    }
  }
  const blocks = len / SCALAR_BLOCK;
  if (blocks > 0) {
    c = crcScalarBlocks(c, ptr, blocks);
    ptr += blocks * SCALAR_BLOCK;
    len -= blocks * SCALAR_BLOCK;
  }
  return ~crcSlice8(c, ptr, len);
}
