// Byte equality at memcmp speed where the platform has it: the destination compares every
// received block body with the pattern it must equal, so this is the device's per-byte cost.
type Compare = (a: Uint8Array, b: Uint8Array) => number;

const nativeCompare = (globalThis as { Buffer?: { compare: Compare } }).Buffer?.compare;

/** True when `a` and `b` hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (nativeCompare) return nativeCompare(a, b) === 0;
  // Browsers: words where both views are 4-byte aligned, bytes otherwise.
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.length >>> 2;
    const x = new Int32Array(a.buffer, a.byteOffset, words);
    const y = new Int32Array(b.buffer, b.byteOffset, words);
    for (; i < words; i++) if (x[i] !== y[i]) return false;
    i = words << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
