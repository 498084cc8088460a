// The integrity checks a multifd packet can carry after its payload, chosen at setup: one place
// that knows each algorithm's trailer, so the framer and the scanner cannot disagree.
import { crc32c } from "./crc32c";
import { xxh3 } from "./xxh3";

export const CHECKSUM_NONE: u32 = 0;
/** be32 CRC32C (Castagnoli). */
export const CHECKSUM_CRC32C: u32 = 1;
/** be64 XXH3-64 (seed 0). */
export const CHECKSUM_XXH3: u32 = 2;

/** Bytes of the trailer of `kind`. */
export function trailerBytes(kind: u32): u32 {
  return kind == CHECKSUM_XXH3 ? 8 : kind == CHECKSUM_CRC32C ? 4 : 0;
}

/** Writes the trailer of `kind` for `len` bytes at `ptr` right after them; returns its length. */
export function writeTrailer(kind: u32, ptr: usize, len: usize): u32 {
  if (kind == CHECKSUM_CRC32C) {
    store<u32>(ptr + len, bswap<u32>(crc32c(0, ptr, len)));
    return 4;
  }
  if (kind == CHECKSUM_XXH3) {
    store<u64>(ptr + len, bswap<u64>(xxh3(ptr, len)));
    return 8;
  }
  return 0;
}

/** Whether the trailer after `len` bytes at `ptr` is theirs. */
export function trailerMatches(kind: u32, ptr: usize, len: usize): bool {
  if (kind == CHECKSUM_CRC32C) return bswap<u32>(load<u32>(ptr + len)) == crc32c(0, ptr, len);
  if (kind == CHECKSUM_XXH3) return bswap<u64>(load<u64>(ptr + len)) == xxh3(ptr, len);
  return true;
}
