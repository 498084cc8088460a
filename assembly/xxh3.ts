// XXH3-64 (seed 0, the default secret): short inputs by length range, long ones through
// xxh3-long.ts. One-shot for bytes in memory (the scanner and the framer), and a three-call form
// (reset, whole blocks, final) for hosts that stage long inputs through a window in pieces.
import { BLOCK, STRIPE, accumulate, accumulateBlocks } from "./xxh3-long";
import { XXH3_SECRET } from "./xxh3-secret";

const PRIME32_1: u64 = 0x9e3779b1;
const PRIME32_2: u64 = 0x85ebca77;
const PRIME32_3: u64 = 0xc2b2ae3d;
const PRIME64_1: u64 = 0x9e3779b185ebca87;
const PRIME64_2: u64 = 0xc2b2ae3d27d4eb4f;
const PRIME64_3: u64 = 0x165667b19e3779f9;
const PRIME64_4: u64 = 0x85ebca77c2b2ae63;
const PRIME64_5: u64 = 0x27d4eb2f165667c5;
const PRIME_MX1: u64 = 0x165667919e3779f9;
const PRIME_MX2: u64 = 0x9fb21c651e98df25;

/** Accumulators of a long one-shot hash. */
const ACC = memory.data(64, 16);

/** Bytes of a streaming state: the 8 accumulators. */
export const XXH3_STATE_BYTES: usize = 64;

// @ts-ignore: decorator
@inline function secret64(at: usize): u64 {
  return load<u64>(XXH3_SECRET + at);
}

/** The 128-bit product of a and b, its halves XORed. */
function fold128(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff, aHi = a >> 32, bLo = b & 0xffffffff, bHi = b >> 32;
  const lolo = aLo * bLo, hilo = aHi * bLo, lohi = aLo * bHi, hihi = aHi * bHi;
  const cross = (lolo >> 32) + (hilo & 0xffffffff) + lohi;
  const upper = (hilo >> 32) + (cross >> 32) + hihi;
  const lower = (cross << 32) | (lolo & 0xffffffff);
  return lower ^ upper;
}

function avalanche64(h: u64): u64 {
  h = (h ^ (h >> 33)) * PRIME64_2;
  h = (h ^ (h >> 29)) * PRIME64_3;
  return h ^ (h >> 32);
}

function avalanche(h: u64): u64 {
  h = (h ^ (h >> 37)) * PRIME_MX1;
  return h ^ (h >> 32);
}

// @ts-ignore: decorator
@inline function mix16(p: usize, secretAt: usize): u64 {
  return fold128(load<u64>(p) ^ secret64(secretAt), load<u64>(p, 8) ^ secret64(secretAt + 8));
}

function upTo16(p: usize, len: usize): u64 {
  if (len > 8) {
    const lo = load<u64>(p) ^ (secret64(24) ^ secret64(32));
    const hi = load<u64>(p + len - 8) ^ (secret64(40) ^ secret64(48));
    return avalanche(<u64>len + bswap<u64>(lo) + hi + fold128(lo, hi));
  }
  if (len >= 4) {
    let h = (<u64>load<u32>(p + len - 4) + (<u64>load<u32>(p) << 32)) ^ (secret64(8) ^ secret64(16));
    h ^= rotl<u64>(h, 49) ^ rotl<u64>(h, 24);
    h *= PRIME_MX2;
    h ^= (h >> 35) + <u64>len;
    h *= PRIME_MX2;
    return h ^ (h >> 28);
  }
  if (len > 0) {
    const combined = (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p + (len >> 1)) << 24) | <u32>load<u8>(p + len - 1) | (<u32>len << 8);
    return avalanche64(<u64>combined ^ <u64>(load<u32>(XXH3_SECRET) ^ load<u32>(XXH3_SECRET, 4)));
  }
  return avalanche64(secret64(56) ^ secret64(64));
}

function upTo128(p: usize, len: usize): u64 {
  let acc = <u64>len * PRIME64_1;
  // Pairs from both ends inward, as many as the length reaches.
  if (len > 32) {
    if (len > 64) {
      if (len > 96) acc += mix16(p + 48, 96) + mix16(p + len - 64, 112);
      acc += mix16(p + 32, 64) + mix16(p + len - 48, 80);
    }
    acc += mix16(p + 16, 32) + mix16(p + len - 32, 48);
  }
  acc += mix16(p, 0) + mix16(p + len - 16, 16);
  return avalanche(acc);
}

function upTo240(p: usize, len: usize): u64 {
  let acc = <u64>len * PRIME64_1;
  for (let i: usize = 0; i < 8; i++) acc += mix16(p + 16 * i, 16 * i);
  acc = avalanche(acc);
  const rounds = len / 16;
  for (let i: usize = 8; i < rounds; i++) acc += mix16(p + 16 * i, 16 * (i - 8) + 3);
  return avalanche(acc + mix16(p + len - 16, 136 - 17));
}

/** Sets the 8 accumulators at `state` to their starting values. */
export function xxh3Reset(state: usize): void {
  store<u64>(state, PRIME32_3);
  store<u64>(state, PRIME64_1, 8);
  store<u64>(state, PRIME64_2, 16);
  store<u64>(state, PRIME64_3, 24);
  store<u64>(state, PRIME64_4, 32);
  store<u64>(state, PRIME32_2, 40);
  store<u64>(state, PRIME64_5, 48);
  store<u64>(state, PRIME32_1, 56);
}

/** Steps `state` over `blocks` whole 1 KiB blocks at `ptr`; bytes must remain after them (the last block is the tail's). */
export function xxh3Blocks(state: usize, ptr: usize, blocks: usize): void {
  accumulateBlocks(state, ptr, blocks);
}

/**
 * Ends a long hash (`total` > 240 bytes): the last `len` bytes (1..1024) lie at `ptr`, and when
 * `len` < 64 the input's preceding bytes lie just before `ptr` (the last stripe reads 64 bytes).
 */
export function xxh3Final(state: usize, ptr: usize, len: usize, total: u64): u64 {
  accumulate(state, ptr, (len - 1) / STRIPE, XXH3_SECRET);
  accumulate(state, ptr + len - STRIPE, 1, XXH3_SECRET + 192 - STRIPE - 7);
  let result = total * PRIME64_1;
  for (let i: usize = 0; i < 4; i++) {
    result += fold128(load<u64>(state + 16 * i) ^ secret64(11 + 16 * i), load<u64>(state + 16 * i + 8) ^ secret64(19 + 16 * i));
  }
  return avalanche(result);
}

/** XXH3-64 of `len` bytes at `ptr`. */
export function xxh3(ptr: usize, len: usize): u64 {
  if (len <= 16) return upTo16(ptr, len);
  if (len <= 128) return upTo128(ptr, len);
  if (len <= 240) return upTo240(ptr, len);
  const blocks = (len - 1) / BLOCK;
  xxh3Reset(ACC);
  accumulateBlocks(ACC, ptr, blocks);
  return xxh3Final(ACC, ptr + blocks * BLOCK, len - blocks * BLOCK, len);
}
