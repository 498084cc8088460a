import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";

type EqualRange = typeof import("../../src/device/simulated/equal-bytes.js").equalRange;

const naive: EqualRange = (a, aStart, b, bStart, length) => {
  if (aStart + length > a.length || bStart + length > b.length) return false;
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
};

/** The module as Node loads it (memcmp through Buffer) and as a browser does (no Buffer: word loop). */
async function load(withBuffer: boolean): Promise<EqualRange> {
  vi.resetModules();
  if (!withBuffer) vi.stubGlobal("Buffer", undefined);
  return (await import("../../src/device/simulated/equal-bytes.js")).equalRange;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe.each([true, false])("equalRange (Buffer %s)", (withBuffer) => {
  it("agrees with a byte loop on random ranges, equal or one byte apart, at any alignment", async () => {
    const equalRange = await load(withBuffer);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(8), fc.nat(8), fc.nat(300), fc.option(fc.nat(299)), (base, aPad, bPad, rawLength, flip) => {
        const a = new Uint8Array(aPad + base.length);
        const b = new Uint8Array(bPad + base.length);
        a.set(base, aPad);
        b.set(base, bPad);
        if (flip !== null && flip < base.length) b[bPad + flip] ^= 1;
        const length = Math.min(rawLength, base.length);
        // Views that do not start at their buffer's first byte exercise byteOffset too.
        const av = new Uint8Array(a.buffer, 0, a.length);
        const bv = b.subarray(0);
        expect(equalRange(av, aPad, bv, bPad, length)).toBe(naive(av, aPad, bv, bPad, length));
      }),
    );
  });

  it("is false for a range past either end", async () => {
    const equalRange = await load(withBuffer);
    const x = new Uint8Array(16);
    expect(equalRange(x, 8, x, 0, 9)).toBe(false);
    expect(equalRange(x, 0, x, 8, 9)).toBe(false);
    expect(equalRange(x, 8, x, 0, 8)).toBe(true);
  });
});
