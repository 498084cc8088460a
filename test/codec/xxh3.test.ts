import { xxh3 as nativeXxh3Namespace } from "@node-rs/xxhash";
import { beforeAll, describe, expect, it } from "vitest";
import { createInstance, init, xxh3 } from "../../src/codec/index.js";
import { xxh3Reference } from "../../src/codec/reference/xxh3.js";
import { FLAVORS } from "../support/flavors.js";
import { seededBytes } from "./helpers.js";
import { sanityBuffer, XXH3_KNOWN_ANSWERS } from "./xxh3-vectors.js";

const buffer = sanityBuffer(2367);
const nativeXxh3 = (bytes: Uint8Array): bigint => nativeXxh3Namespace.xxh64(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

describe("xxh3 reference", () => {
  it.each(XXH3_KNOWN_ANSWERS)("matches the published answer at %i bytes", (length, expected) => {
    expect(xxh3Reference(buffer.subarray(0, length))).toBe(expected);
  });

  it("agrees with the native xxHash (@node-rs/xxhash) at every length up to 260 and around 1 and 2 KiB", () => {
    const bytes = seededBytes(2048, 11);
    const lengths = [...Array(261).keys(), ...Array.from({ length: 40 }, (_, i) => 1010 + i), ...Array.from({ length: 20 }, (_, i) => 2028 + i)];
    for (const length of lengths) {
      const input = bytes.subarray(0, length);
      expect([length, xxh3Reference(input)]).toEqual([length, nativeXxh3(input)]);
    }
  });
});

// Every length range and its edges, block and stripe boundaries, and lengths past the window
// that stream through it in pieces.
const LENGTHS = [
  0, 1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 96, 97, 127, 128, 129, 143, 144, 239, 240, 241, 255, 256,
  1023, 1024, 1025, 1087, 1088, 1089, 2047, 2048, 4096 + 63, 65536, 65537,
];

describe.each(FLAVORS)("xxh3 (%s build)", (flavor) => {
  beforeAll(async () => {
    await init({ flavor });
  });

  it.each(XXH3_KNOWN_ANSWERS)("matches the published answer at %i bytes", (length, expected) => {
    expect(xxh3(buffer.subarray(0, length))).toBe(expected);
  });

  it("agrees with the reference at every length range and boundary", () => {
    for (const length of LENGTHS) {
      const bytes = seededBytes(length, length + 7);
      expect([length, xxh3(bytes)]).toEqual([length, xxh3Reference(bytes)]);
    }
  });

  it("streams inputs longer than the staging window in pieces, as the one-shot kernel hashes them whole", () => {
    // The one-shot kernel is checked against the reference above; here it hashes each input whole
    // in an instance large enough, at every tail length past the last whole block.
    const big = seededBytes((1 << 20) + 2048, 99);
    const whole = createInstance(big.length, flavor);
    whole.bytes.set(big, whole.heapBase);
    for (const length of [(1 << 20) - 1023, (1 << 20) + 1, (1 << 20) + 40, (1 << 20) + 64, (1 << 20) + 1024, (1 << 20) + 1025]) {
      const expected = BigInt.asUintN(64, whole.exports.xxh3(whole.heapBase, length));
      // The BigInt reference is too slow at a MiB; the native xxHash stands in for it there.
      expect([length, expected]).toEqual([length, nativeXxh3(big.subarray(0, length))]);
      expect([length, xxh3(big.subarray(0, length))]).toEqual([length, expected]);
    }
  });

  it("changes when any single bit flips", () => {
    const bytes = seededBytes(4096, 5);
    const before = xxh3(bytes);
    for (const at of [0, 1000, 4095]) {
      bytes[at] ^= 0x10;
      expect(xxh3(bytes)).not.toBe(before);
      bytes[at] ^= 0x10;
    }
  });
});
