// The slow pure-TS XXH3-64 (seed 0, the default 192-byte secret), in BigInt, written from the
// algorithm's description: one function per length range, the long path as stripes and blocks.
// It is the oracle the WASM kernels are tested against and the baseline they are benchmarked
// against; the reference implementation's published vectors check it (test/codec/xxh3-vectors.ts).

const M64 = (1n << 64n) - 1n;
const PRIME32_1 = 0x9e3779b1n;
const PRIME32_2 = 0x85ebca77n;
const PRIME32_3 = 0xc2b2ae3dn;
const PRIME64_1 = 0x9e3779b185ebca87n;
const PRIME64_2 = 0xc2b2ae3d27d4eb4fn;
const PRIME64_3 = 0x165667b19e3779f9n;
const PRIME64_4 = 0x85ebca77c2b2ae63n;
const PRIME64_5 = 0x27d4eb2f165667c5n;
const PRIME_MX1 = 0x165667919e3779f9n;
const PRIME_MX2 = 0x9fb21c651e98df25n;

/** The default secret (kSecret), 192 bytes. */
export const XXH3_SECRET = Uint8Array.from(
  (
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671fcb79e64eccc0e578825ad07dccff7221" +
    "b8084674f743248ee03590e6813a264c3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8" +
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364eac5ac8334d3ebc3c581a0fffa1363eb" +
    "170ddd51b7f0da49d316552629d4689e2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
  ).match(/../g)!,
  (pair) => parseInt(pair, 16),
);

const STRIPE = 64;
const STRIPES_PER_BLOCK = (XXH3_SECRET.length - STRIPE) / 8;
const BLOCK = STRIPE * STRIPES_PER_BLOCK;

function le64(bytes: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

function le32(bytes: Uint8Array, at: number): bigint {
  return BigInt((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0);
}

const mul = (a: bigint, b: bigint): bigint => (a * b) & M64;
const rotl = (v: bigint, r: bigint): bigint => ((v << r) | (v >> (64n - r))) & M64;

function swap64(v: bigint): bigint {
  let out = 0n;
  for (let i = 0; i < 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function fold128(a: bigint, b: bigint): bigint {
  const product = a * b;
  return (product & M64) ^ (product >> 64n);
}

function avalanche64(h: bigint): bigint {
  h = mul(h ^ (h >> 33n), PRIME64_2);
  h = mul(h ^ (h >> 29n), PRIME64_3);
  return h ^ (h >> 32n);
}

function avalanche(h: bigint): bigint {
  h = mul(h ^ (h >> 37n), PRIME_MX1);
  return h ^ (h >> 32n);
}

function rrmxmx(h: bigint, len: number): bigint {
  h ^= rotl(h, 49n) ^ rotl(h, 24n);
  h = mul(h, PRIME_MX2);
  h ^= ((h >> 35n) + BigInt(len)) & M64;
  h = mul(h, PRIME_MX2);
  return h ^ (h >> 28n);
}

function mix16(input: Uint8Array, at: number, secretAt: number): bigint {
  return fold128(le64(input, at) ^ le64(XXH3_SECRET, secretAt), le64(input, at + 8) ^ le64(XXH3_SECRET, secretAt + 8));
}

function upTo16(input: Uint8Array): bigint {
  const len = input.length;
  const s = XXH3_SECRET;
  if (len > 8) {
    const lo = le64(input, 0) ^ (le64(s, 24) ^ le64(s, 32));
    const hi = le64(input, len - 8) ^ (le64(s, 40) ^ le64(s, 48));
    return avalanche((BigInt(len) + swap64(lo) + hi + fold128(lo, hi)) & M64);
  }
  if (len >= 4) {
    const keyed = (le32(input, len - 4) + (le32(input, 0) << 32n)) ^ (le64(s, 8) ^ le64(s, 16));
    return rrmxmx(keyed, len);
  }
  if (len > 0) {
    const combined = (input[0] << 16) | (input[len >> 1] << 24) | input[len - 1] | (len << 8);
    return avalanche64(BigInt(combined >>> 0) ^ (le32(s, 0) ^ le32(s, 4)));
  }
  return avalanche64(le64(s, 56) ^ le64(s, 64));
}

function upTo128(input: Uint8Array): bigint {
  const len = input.length;
  let acc = mul(BigInt(len), PRIME64_1);
  // Pairs from both ends inward: (0, len-16), (16, len-32), (32, len-48), (48, len-64).
  const pairs = len > 96 ? 4 : len > 64 ? 3 : len > 32 ? 2 : 1;
  for (let i = 0; i < pairs; i++) {
    acc += mix16(input, 16 * i, 32 * i) + mix16(input, len - 16 * (i + 1), 32 * i + 16);
  }
  return avalanche(acc & M64);
}

function upTo240(input: Uint8Array): bigint {
  const len = input.length;
  let acc = mul(BigInt(len), PRIME64_1);
  for (let i = 0; i < 8; i++) acc += mix16(input, 16 * i, 16 * i);
  acc = avalanche(acc & M64);
  for (let i = 8; i < Math.floor(len / 16); i++) acc += mix16(input, 16 * i, 16 * (i - 8) + 3);
  acc += mix16(input, len - 16, 136 - 17);
  return avalanche(acc & M64);
}

function accumulateStripe(acc: bigint[], input: Uint8Array, at: number, secretAt: number): void {
  for (let i = 0; i < 8; i++) {
    const value = le64(input, at + 8 * i);
    const key = value ^ le64(XXH3_SECRET, secretAt + 8 * i);
    acc[i ^ 1] = (acc[i ^ 1] + value) & M64;
    acc[i] = (acc[i] + (key & 0xffffffffn) * (key >> 32n)) & M64;
  }
}

function scramble(acc: bigint[]): void {
  const secretAt = XXH3_SECRET.length - STRIPE;
  for (let i = 0; i < 8; i++) {
    const a = acc[i] ^ (acc[i] >> 47n) ^ le64(XXH3_SECRET, secretAt + 8 * i);
    acc[i] = mul(a, PRIME32_1);
  }
}

function long(input: Uint8Array): bigint {
  const len = input.length;
  const acc = [PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2, PRIME64_5, PRIME32_1];
  // Whole blocks only while bytes remain after them: the last block always takes the tail path.
  const blocks = Math.floor((len - 1) / BLOCK);
  for (let b = 0; b < blocks; b++) {
    for (let s = 0; s < STRIPES_PER_BLOCK; s++) accumulateStripe(acc, input, b * BLOCK + s * STRIPE, 8 * s);
    scramble(acc);
  }
  const stripes = Math.floor((len - 1 - blocks * BLOCK) / STRIPE);
  for (let s = 0; s < stripes; s++) accumulateStripe(acc, input, blocks * BLOCK + s * STRIPE, 8 * s);
  accumulateStripe(acc, input, len - STRIPE, XXH3_SECRET.length - STRIPE - 7);
  let result = mul(BigInt(len), PRIME64_1);
  for (let i = 0; i < 4; i++) {
    result += fold128(acc[2 * i] ^ le64(XXH3_SECRET, 11 + 16 * i), acc[2 * i + 1] ^ le64(XXH3_SECRET, 11 + 16 * i + 8));
  }
  return avalanche(result & M64);
}

/** XXH3-64 of `bytes` (seed 0, default secret), as an unsigned 64-bit BigInt. */
export function xxh3Reference(bytes: Uint8Array): bigint {
  if (bytes.length <= 16) return upTo16(bytes);
  if (bytes.length <= 128) return upTo128(bytes);
  if (bytes.length <= 240) return upTo240(bytes);
  return long(bytes);
}
