/**
 * The typed face of the WASM core's exports. Only numbers cross the boundary: pointers are byte
 * offsets into the instance's own linear memory.
 */
export interface CodecExports {
  /** First byte of linear memory free for the host; static tables lie below. */
  heapBase(): number;
  /** Continues a CRC32C (finalized value in and out, 0 to start) over `len` bytes at `ptr`. */
  crc32c(crc: number, ptr: number, len: number): number;
}
