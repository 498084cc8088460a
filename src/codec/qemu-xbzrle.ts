// XBZRLE pages (migration/xbzrle.c): alternating runs, each length a small ULEB128 (one or two bytes):
// a run of bytes left as they were, then a run of new bytes given literally.

function uleb128(src: Uint8Array, at: number): [value: number, bytes: number] | undefined {
  if (at >= src.length) return undefined;
  if (!(src[at] & 0x80)) return [src[at], 1];
  if (at + 1 >= src.length || src[at + 1] & 0x80) return undefined;
  return [(src[at] & 0x7f) | (src[at + 1] << 7), 2];
}

/** Applies an encoded page to `page` in place; false when the encoding is malformed or overruns the page. */
export function applyXbzrle(src: Uint8Array, page: Uint8Array): boolean {
  let i = 0;
  let d = 0;
  while (i < src.length) {
    const zero = uleb128(src, i);
    if (!zero) return false;
    i += zero[1];
    d += zero[0];
    if (d > page.length) return false;
    if (i === src.length) return true;
    const literal = uleb128(src, i);
    if (!literal) return false;
    i += literal[1];
    const n = literal[0];
    if (i + n > src.length || d + n > page.length) return false;
    page.set(src.subarray(i, i + n), d);
    i += n;
    d += n;
  }
  return true;
}
