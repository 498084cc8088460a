// Known answers of XXH3-64 (seed 0) from the xxHash repository's sanity check (cli/xsum_sanity_check.c,
// XSUM_XXH3_testdata), over its test buffer, with the length range each one exercises.

const PRIME32 = 2654435761n;
const PRIME64 = 11400714785074694797n;

/** The sanity check's buffer: byte i is the top byte of PRIME32 * PRIME64^i (mod 2^64). */
export function sanityBuffer(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let gen = PRIME32;
  for (let i = 0; i < length; i++) {
    out[i] = Number(gen >> 56n);
    gen = (gen * PRIME64) & 0xffffffffffffffffn;
  }
  return out;
}

/** [length, XXH3_64bits(buffer, length), what it covers]. */
export const XXH3_KNOWN_ANSWERS: ReadonlyArray<readonly [number, bigint, string]> = [
  [0, 0x2d06800538d394c2n, "empty"],
  [1, 0xc44bdff4074eecdbn, "1-3"],
  [6, 0x27b56a84cd2d7325n, "4-8"],
  [12, 0xa713daf0dfbb77e7n, "9-16"],
  [24, 0xa3fe70bf9d3510ebn, "17-32"],
  [48, 0x397da259ecba1f11n, "33-64"],
  [80, 0xbcdefbbb2c47c90an, "65-96"],
  [195, 0xcd94217ee362ec3an, "129-240"],
  [403, 0xcdeb804d65c6dea4n, "one block, last stripe overlapping"],
  [512, 0x617e49599013cb6bn, "one block, ending at a stripe boundary"],
  [2048, 0xdd59e2c3a5f038e0n, "2 blocks, ending at a block boundary"],
  [2099, 0xc6b9d9b3fc9ac765n, "2 blocks and a partial one"],
  [2240, 0x6e73a90539cf2948n, "3 blocks, ending at a stripe boundary"],
  [2367, 0xcb37aeb9e5d361edn, "3 blocks, last stripe overlapping"],
];
