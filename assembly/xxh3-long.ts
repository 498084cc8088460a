// The bulk of XXH3-64 (inputs over 240 bytes): 8 u64 accumulators step over 64-byte stripes, each
// lane adding a 32x32->64 product of (data ^ secret) and its neighbour's data; after every 1 KiB
// block they are scrambled. The SIMD build keeps the 8 accumulators in 4 vectors (one i64x2 pair
// per 16 bytes) and scrambles them as vectors; the scalar build keeps them in 8 locals.
import { XXH3_SECRET } from "./xxh3-secret";

export const STRIPE: usize = 64;
export const STRIPES_PER_BLOCK: usize = 16;
export const BLOCK: usize = STRIPE * STRIPES_PER_BLOCK;
const SCRAMBLE_SECRET: usize = XXH3_SECRET + 192 - STRIPE;
const PRIME32_1: u64 = 0x9e3779b1;

/** Accumulators at `acc` (8 u64) stepped over `stripes` stripes at `ptr`, the secret advancing 8 bytes per stripe. */
function accumulateScalar(acc: usize, ptr: usize, stripes: usize, secret: usize): void {
  let a0 = load<u64>(acc), a1 = load<u64>(acc, 8), a2 = load<u64>(acc, 16), a3 = load<u64>(acc, 24);
  let a4 = load<u64>(acc, 32), a5 = load<u64>(acc, 40), a6 = load<u64>(acc, 48), a7 = load<u64>(acc, 56);
  for (let s: usize = 0; s < stripes; s++) {
    const p = ptr + s * STRIPE;
    const k = secret + s * 8;
    const d0 = load<u64>(p), d1 = load<u64>(p, 8), d2 = load<u64>(p, 16), d3 = load<u64>(p, 24);
    const d4 = load<u64>(p, 32), d5 = load<u64>(p, 40), d6 = load<u64>(p, 48), d7 = load<u64>(p, 56);
    const k0 = d0 ^ load<u64>(k), k1 = d1 ^ load<u64>(k, 8), k2 = d2 ^ load<u64>(k, 16), k3 = d3 ^ load<u64>(k, 24);
    const k4 = d4 ^ load<u64>(k, 32), k5 = d5 ^ load<u64>(k, 40), k6 = d6 ^ load<u64>(k, 48), k7 = d7 ^ load<u64>(k, 56);
    a0 += d1 + (k0 & 0xffffffff) * (k0 >> 32);
    a1 += d0 + (k1 & 0xffffffff) * (k1 >> 32);
    a2 += d3 + (k2 & 0xffffffff) * (k2 >> 32);
    a3 += d2 + (k3 & 0xffffffff) * (k3 >> 32);
    a4 += d5 + (k4 & 0xffffffff) * (k4 >> 32);
    a5 += d4 + (k5 & 0xffffffff) * (k5 >> 32);
    a6 += d7 + (k6 & 0xffffffff) * (k6 >> 32);
    a7 += d6 + (k7 & 0xffffffff) * (k7 >> 32);
  }
  store<u64>(acc, a0); store<u64>(acc, a1, 8); store<u64>(acc, a2, 16); store<u64>(acc, a3, 24);
  store<u64>(acc, a4, 32); store<u64>(acc, a5, 40); store<u64>(acc, a6, 48); store<u64>(acc, a7, 56);
}

// The SIMD step. The product lo32(x) * hi32(x) of each u64 lane x = data ^ key is
// `i64x2.extmul_low|high_i32x4_u` of two lane vectors holding the low and the high halves of two
// vectors (one `i32x4` shuffle each), so one pair of shuffles serves 4 lanes. The
// neighbour-lane add of the data is linear: the stripes' data is summed per lane and swapped once
// per call (or block) instead of per stripe. Measured against `i64x2.mul` of masked low and shifted
// high halves (V8 expands a 64-bit lane multiply to 3 multiplies and 5 shifts and adds): ~2x at 64 KiB
// and 1 MiB in place (docs/BENCHMARKS.md, "How the XXH3 kernel is built").

function accumulateSimd(acc: usize, ptr: usize, stripes: usize, secret: usize): void {
  let a0 = v128.load(acc), a1 = v128.load(acc, 16), a2 = v128.load(acc, 32), a3 = v128.load(acc, 48);
  let s0 = i64x2.splat(0), s1 = i64x2.splat(0), s2 = i64x2.splat(0), s3 = i64x2.splat(0);
  for (let s: usize = 0; s < stripes; s++) {
    const p = ptr + s * STRIPE;
    const k = secret + s * 8;
    const d0 = v128.load(p), d1 = v128.load(p, 16), d2 = v128.load(p, 32), d3 = v128.load(p, 48);
    const x0 = v128.xor(d0, v128.load(k)), x1 = v128.xor(d1, v128.load(k, 16));
    const x2 = v128.xor(d2, v128.load(k, 32)), x3 = v128.xor(d3, v128.load(k, 48));
    const lo01 = v128.shuffle<i32>(x0, x1, 0, 2, 4, 6), hi01 = v128.shuffle<i32>(x0, x1, 1, 3, 5, 7);
    const lo23 = v128.shuffle<i32>(x2, x3, 0, 2, 4, 6), hi23 = v128.shuffle<i32>(x2, x3, 1, 3, 5, 7);
    a0 = i64x2.add(a0, i64x2.extmul_low_i32x4_u(lo01, hi01));
    a1 = i64x2.add(a1, i64x2.extmul_high_i32x4_u(lo01, hi01));
    a2 = i64x2.add(a2, i64x2.extmul_low_i32x4_u(lo23, hi23));
    a3 = i64x2.add(a3, i64x2.extmul_high_i32x4_u(lo23, hi23));
    s0 = i64x2.add(s0, d0); s1 = i64x2.add(s1, d1); s2 = i64x2.add(s2, d2); s3 = i64x2.add(s3, d3);
  }
  a0 = i64x2.add(a0, v128.shuffle<i64>(s0, s0, 1, 0));
  a1 = i64x2.add(a1, v128.shuffle<i64>(s1, s1, 1, 0));
  a2 = i64x2.add(a2, v128.shuffle<i64>(s2, s2, 1, 0));
  a3 = i64x2.add(a3, v128.shuffle<i64>(s3, s3, 1, 0));
  v128.store(acc, a0); v128.store(acc, a1, 16); v128.store(acc, a2, 32); v128.store(acc, a3, 48);
}

/** `stripes` stripes at `ptr` with the secret from `secret`. */
export function accumulate(acc: usize, ptr: usize, stripes: usize, secret: usize): void {
  if (ASC_FEATURE_SIMD) accumulateSimd(acc, ptr, stripes, secret);
  else accumulateScalar(acc, ptr, stripes, secret);
}

function scrambleScalar(acc: usize): void {
  for (let i: usize = 0; i < 64; i += 8) {
    let a = load<u64>(acc + i);
    a = (a ^ (a >> 47) ^ load<u64>(SCRAMBLE_SECRET + i)) * PRIME32_1;
    store<u64>(acc + i, a);
  }
}

// @ts-ignore: decorator
@inline function scrambleLanes(at: usize, key: usize): void {
  const a = v128.load(at);
  const x = v128.xor(v128.xor(a, i64x2.shr_u(a, 47)), v128.load(key));
  v128.store(at, i64x2.mul(x, i64x2.splat(PRIME32_1)));
}

function scrambleSimd(acc: usize): void {
  scrambleLanes(acc, SCRAMBLE_SECRET);
  scrambleLanes(acc + 16, SCRAMBLE_SECRET + 16);
  scrambleLanes(acc + 32, SCRAMBLE_SECRET + 32);
  scrambleLanes(acc + 48, SCRAMBLE_SECRET + 48);
}

/** `blocks` whole 1 KiB blocks at `ptr`, each followed by a scramble. */
export function accumulateBlocks(acc: usize, ptr: usize, blocks: usize): void {
  for (let b: usize = 0; b < blocks; b++) {
    if (ASC_FEATURE_SIMD) {
      accumulateSimd(acc, ptr + b * BLOCK, STRIPES_PER_BLOCK, XXH3_SECRET);
      scrambleSimd(acc);
    } else {
      accumulateScalar(acc, ptr + b * BLOCK, STRIPES_PER_BLOCK, XXH3_SECRET);
      scrambleScalar(acc);
    }
  }
}
