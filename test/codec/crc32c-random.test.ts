import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createInstance, crc32c, init, type CodecInstance } from "../../src/codec/index.js";
import { crc32cReference, crc32cWord } from "../../src/codec/reference/crc32c.js";
import { FLAVORS } from "../support/flavors.js";
import { KNOWN_ANSWERS } from "./crc32c-vectors.js";

const MAX_LEN = 3 << 20;

function randomBytes(length: number, seed: number): Uint8Array {
  // xorshift32: reproducible content without Math.random.
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

/** The WASM kernel on `data` placed `offset` bytes past the 64-aligned heap start. */
function wasmAt(instance: CodecInstance, data: Uint8Array, offset: number, seed: number): number {
  const ptr = instance.heapBase + offset;
  instance.bytes.set(data, ptr);
  return instance.exports.crc32c(seed, ptr, data.length) >>> 0;
}

// Lengths on both sides of every multiple of 256 up to 18 KiB: the kernels' block sizes (16
// streams of 256 or 64 bytes, 3 streams of 256 or 64, 8-byte slices) and their sums fall near these.
const BOUNDARY_LENGTHS = Array.from({ length: 73 }, (_, m) => m * 256).flatMap((base) =>
  [-17, -9, -8, -7, -1, 0, 1, 7, 8, 9, 15, 16, 17].map((d) => base + d).filter((n) => n >= 0),
);

describe("crc32c TS reference", () => {
  it.each(KNOWN_ANSWERS)("matches the known answer for %s", (_name, bytes, expected) => {
    expect(crc32cReference(bytes)).toBe(expected);
  });

  it("gives 0 for no bytes and keeps the seed", () => {
    expect(crc32cReference(new Uint8Array(0))).toBe(0);
    expect(crc32cReference(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
  });

  it("crc32cWord steps the 4 little-endian bytes of a word, as crc32cReference does over them", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (seed, word) => {
        const bytes = new Uint8Array(4);
        new DataView(bytes.buffer).setUint32(0, word, true);
        expect(crc32cWord(seed, word)).toBe(crc32cReference(bytes, seed));
      }),
    );
  });
});

describe.each(FLAVORS)("crc32c WASM against the reference (%s build)", (flavor) => {
  let instance: CodecInstance;
  beforeAll(async () => {
    await init({ flavor });
    instance = createInstance(MAX_LEN + 64, flavor);
  });

  it("agrees at every kernel boundary, with shifting alignments and seeds", () => {
    const data = randomBytes(BOUNDARY_LENGTHS.at(-1)!, 7);
    BOUNDARY_LENGTHS.forEach((length, i) => {
      const bytes = data.subarray(0, length);
      const seed = i % 3 === 0 ? 0 : Math.imul(i, 0x9e3779b1) >>> 0;
      const offset = i % 64;
      expect({ length, offset, seed, crc: wasmAt(instance, bytes, offset, seed) }).toEqual({
        length,
        offset,
        seed,
        crc: crc32cReference(bytes, seed),
      });
    });
  });

  it("agrees on random inputs up to 3 MiB at random alignments and seeds", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat(MAX_LEN),
          // Near a multiple of 64, where every block size of the kernels ends.
          fc.tuple(fc.nat(MAX_LEN >> 6), fc.integer({ min: -20, max: 20 })).map(([m, d]) => Math.max(0, m * 64 + d)),
        ),
        fc.nat(63),
        fc.nat(0xffffffff),
        fc.nat(0xffffffff),
        (length, offset, seed, contentSeed) => {
          const bytes = randomBytes(length, contentSeed);
          expect(wasmAt(instance, bytes, offset, seed)).toBe(crc32cReference(bytes, seed));
        },
      ),
      { numRuns: 60, interruptAfterTimeLimit: 8_000 },
    );
  });

  it("agrees on short inputs (the slice-by-8 path) exhaustively by length", () => {
    const data = randomBytes(1100, 99);
    for (let length = 0; length <= 1100; length++) {
      const bytes = data.subarray(0, length);
      const offset = (length * 7) % 64;
      expect(wasmAt(instance, bytes, offset, length)).toBe(crc32cReference(bytes, length));
    }
  });

  it("continues across any split point", () => {
    const bytes = randomBytes(20_000, 3);
    fc.assert(
      fc.property(fc.nat(bytes.length), (cut) => {
        const head = wasmAt(instance, bytes.subarray(0, cut), 0, 0);
        const whole = wasmAt(instance, bytes.subarray(cut), 5, head);
        expect(whole).toBe(crc32cReference(bytes));
      }),
      { numRuns: 200, interruptAfterTimeLimit: 4_000 },
    );
  });

  it("reads the data without writing any host memory", () => {
    const length = 50_000;
    const ptr = instance.heapBase + 3;
    const region = instance.bytes.subarray(instance.heapBase, instance.heapBase + length + 4096);
    region.set(randomBytes(region.length, 11));
    const before = region.slice();
    instance.exports.crc32c(0, ptr, length);
    expect(Buffer.compare(region, before)).toBe(0);
  });

  it("crc32c(bytes) stages inputs larger than its window", async () => {
    await init({ flavor });
    const bytes = randomBytes((5 << 19) + 13, 21);
    expect(crc32c(bytes)).toBe(crc32cReference(bytes));
    expect(crc32c(bytes.subarray(1), 0x12345678)).toBe(crc32cReference(bytes.subarray(1), 0x12345678));
  });
});
