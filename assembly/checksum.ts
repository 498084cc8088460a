// The integrity checks a multifd packet can carry after its payload, chosen at setup: one place
// that knows each algorithm's trailer, so the framer and the scanner cannot disagree.
import { crc32c } from "./crc32c";
import { BLOCK } from "./xxh3-long";
import { xxh3, xxh3Blocks, xxh3Final, xxh3Reset, XXH3_STATE_BYTES } from "./xxh3";

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

// A check run ahead: a receiver covers a packet's payload as its bytes land (while they are still
// in the cache), so that the scan that finds the packet complete only finishes the last piece.
// State (CHECK_STATE_BYTES, 16-byte aligned): u32 payload pointer, u32 payload length and u32 bytes
// covered, which tie it to one payload (anything else starts it over); u32 CRC32C so far; then the
// XXH3 accumulators.
const CHECK_STATE_BYTES: u32 = 16 + <u32>XXH3_STATE_BYTES;
/** Bytes CRC32C covers per step ahead: whole SIMD blocks. */
const CRC_AHEAD_STEP: u32 = 4096;
/** Payloads up to this length hash in one piece (XXH3's short paths). */
const XXH3_SHORT_MAX: u32 = 240;

/** Bytes of a check state. */
export function checkStateBytes(): u32 {
  return CHECK_STATE_BYTES;
}

/** Forgets what `state` covered: the next `checkAhead` or `trailerMatchesFrom` starts over. */
export function checkReset(state: usize): void {
  store<u32>(state, 0);
  store<u32>(state, 0, 4);
  store<u32>(state, 0, 8);
}

/**
 * Covers more of the `len`-byte payload at `ptr` of which `avail` bytes have landed: whole XXH3
 * blocks short of the last, or whole 4 KiB runs of CRC32C short of the end.
 */
export function checkAhead(kind: u32, state: usize, ptr: usize, len: u32, avail: u32): void {
  if (kind == CHECKSUM_NONE) return;
  if (load<u32>(state) != <u32>ptr || load<u32>(state, 4) != len) {
    store<u32>(state, <u32>ptr);
    store<u32>(state, len, 4);
    store<u32>(state, 0, 8);
    store<u32>(state, 0, 12);
    if (kind == CHECKSUM_XXH3) xxh3Reset(state + 16);
  }
  const covered = load<u32>(state, 8);
  if (kind == CHECKSUM_CRC32C) {
    const upTo = min(avail, len - 1) & ~(CRC_AHEAD_STEP - 1);
    if (upTo <= covered) return;
    store<u32>(state, crc32c(load<u32>(state, 12), ptr + covered, upTo - covered), 12);
    store<u32>(state, upTo, 8);
    return;
  }
  if (len <= XXH3_SHORT_MAX) return;
  // The last block, whole or not, is the tail's (xxh3Final).
  const blocks = min(avail, len - 1) / <u32>BLOCK;
  const done = covered / <u32>BLOCK;
  if (blocks <= done) return;
  xxh3Blocks(state + 16, ptr + covered, blocks - done);
  store<u32>(state, blocks * <u32>BLOCK, 8);
}

/** `trailerMatches`, finishing from `state` where it covers this payload (0: no state). */
export function trailerMatchesFrom(kind: u32, state: usize, ptr: usize, len: u32): bool {
  if (state == 0 || kind == CHECKSUM_NONE || load<u32>(state) != <u32>ptr || load<u32>(state, 4) != len) return trailerMatches(kind, ptr, len);
  const covered = load<u32>(state, 8);
  if (kind == CHECKSUM_CRC32C) return bswap<u32>(load<u32>(ptr + len)) == crc32c(load<u32>(state, 12), ptr + covered, len - covered);
  if (len <= XXH3_SHORT_MAX) return trailerMatches(kind, ptr, len);
  const blocks = (len - 1) / <u32>BLOCK;
  const done = covered / <u32>BLOCK;
  xxh3Blocks(state + 16, ptr + covered, blocks - done);
  const tail = blocks * <u32>BLOCK;
  const value = xxh3Final(state + 16, ptr + tail, len - tail, len);
  // The final steps moved the accumulators past the blocks: a second check starts over.
  checkReset(state);
  return bswap<u64>(load<u64>(ptr + len)) == value;
}
