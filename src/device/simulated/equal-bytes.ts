// Byte equality at memcmp speed where the platform has it: the destination compares every
// received block body with the pattern it must equal, so this is the device's per-byte cost.
// Ranges, not views: a view per block compared was an allocation per 64 KiB.
type CompareRanges = (this: Uint8Array, target: Uint8Array, targetStart: number, targetEnd: number, sourceStart: number, sourceEnd: number) => number;

const nativeCompare = (globalThis as { Buffer?: { prototype: { compare: CompareRanges } } }).Buffer?.prototype.compare;

/** True when `a[aStart, aStart + length)` and `b[bStart, bStart + length)` hold the same bytes. */
export function equalRange(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  if (aStart + length > a.length || bStart + length > b.length) return false;
  if (nativeCompare) return nativeCompare.call(a, b, bStart, bStart + length, aStart, aStart + length) === 0;
  // Browsers: words where both ranges are 4-byte aligned, bytes otherwise.
  let i = 0;
  if ((a.byteOffset + aStart) % 4 === 0 && (b.byteOffset + bStart) % 4 === 0) {
    const words = length >>> 2;
    const x = new Int32Array(a.buffer, a.byteOffset + aStart, words);
    const y = new Int32Array(b.buffer, b.byteOffset + bStart, words);
    for (; i < words; i++) if (x[i] !== y[i]) return false;
    i = words << 2;
  }
  for (; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}
