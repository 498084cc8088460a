// The setup file's byte comparison (test/support/byte-equality.ts) replaces vitest's for byte arrays
// in every test: it must still see a difference anywhere, in length, and inside other values.
import { describe, expect, it } from "vitest";

describe("byte-array equality in toEqual", () => {
  const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => i * 7);

  it("finds a difference in the last byte, the first, and in length", () => {
    for (const at of [0, bytes.length - 1]) {
      const other = bytes.slice();
      other[at] ^= 1;
      expect(bytes).not.toEqual(other);
    }
    expect(bytes).not.toEqual(bytes.subarray(1));
    expect(bytes).toEqual(bytes.slice());
  });

  it("applies inside objects and arrays, and keeps toStrictEqual's type check", () => {
    expect({ data: [bytes] }).not.toEqual({ data: [bytes.subarray(0, -1)] });
    expect({ data: [bytes] }).toEqual({ data: [bytes.slice()] });
    expect(Buffer.from([1, 2])).not.toStrictEqual(Uint8Array.of(1, 2));
  });
});
