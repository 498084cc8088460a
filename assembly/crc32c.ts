// CRC32C (Castagnoli), reflected polynomial 0x82F63B78.

const POLY: u32 = 0x82f63b78;

// 256-entry byte table, built once at start (static memory, no GC allocation).
const TABLE = memory.data(256 * 4, 64);

function buildTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(TABLE + (n << 2), c);
  }
}
buildTable();

/** Continues a CRC32C over `len` bytes at `ptr`. `crc` is the finalized value so far (0 to start). */
export function crc32c(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  const end = ptr + len;
  while (ptr < end) {
    c = load<u32>(TABLE + (((c ^ load<u8>(ptr)) & 0xff) << 2)) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}
