/**
 * The typed face of the WASM core's exports. Only numbers cross the boundary: pointers are byte
 * offsets into the instance's own linear memory.
 */
export interface CodecExports {
  /** First byte of linear memory free for the host; static tables lie below. */
  heapBase(): number;
  /** Continues a CRC32C (finalized value in and out, 0 to start) over `len` bytes at `ptr`. */
  crc32c(crc: number, ptr: number, len: number): number;
  /** XXH3-64 (seed 0) of `len` bytes at `ptr`. */
  xxh3(ptr: number, len: number): bigint;
  /** A long XXH3 in pieces: reset the 64-byte state, whole 1 KiB blocks (bytes must follow them), then the last 1..1024 bytes. */
  xxh3Reset(state: number): void;
  xxh3Blocks(state: number, ptr: number, blocks: number): void;
  /** The last `len` bytes at `ptr` (the 64 bytes before `ptr` hold the input's preceding bytes when `len` < 64). */
  xxh3Final(state: number, ptr: number, len: number, total: bigint): bigint;
  /** Wire constant number `which` (order: WASM_CONSTANT_NAMES in src/codec/wasm/constants.ts). */
  wireConstant(which: number): bigint;
  /** Frames a device-state packet in place at `slot` (idstr at slot + 12, data at slot + 288); returns its wire bytes. */
  frameDeviceState(slot: number, idstrLen: number, instanceId: number, idx: number, vfioFlags: number, dataLen: number, checksum: number): number;
  /**
   * Scans a multifd receive window; writes a summary and records at `results`; returns the stop
   * reason. `ahead`: 0, or a check state that `scanAhead` ran over the first packet.
   */
  scanMultifd(window: number, len: number, maxPayload: number, options: number, results: number, maxRecords: number, ahead: number): number;
  /** Runs the check of the packet at `window` ahead over its `len` bytes landed so far, into the check state at `state`. */
  scanAhead(window: number, len: number, maxPayload: number, options: number, state: number): void;
  /** Bytes of a check state (16-byte aligned). */
  checkStateBytes(): number;
  /** Makes the check state at `state` start over. */
  checkReset(state: number): void;
  /** Bytes of a reorder index's state region for `capacity` (a multiple of 32) indices. */
  reorderStateBytes(capacity: number): number;
  reorderInit(state: number, capacity: number): void;
  /** 0 ok, 1 invalid idx, 2 duplicate, 3 already written, 4 beyond the window. */
  reorderRecord(state: number, idx: number, handle: number): number;
  reorderNext(state: number): number;
  reorderQueued(state: number): number;
  /** Indices from `next` on that have arrived without a gap. */
  reorderRun(state: number): number;
  reorderHandle(state: number, idx: number): number;
  /** Marks `count` indices of the run written; returns the new `next`. */
  reorderAdvance(state: number, count: number): number;
  // Header readers of the main channel, return path and multifd hello (assembly/main-wire.ts): they
  // return the header's length (> 0), 0 with out[0] = bytes needed, or -error with out[0] = the
  // offset at fault, and write fields to out[1..] (u32s).
  readFileHeader(ptr: number, avail: number, out: number): number;
  readTopLevel(ptr: number, avail: number, started: number, maxConfig: number, out: number): number;
  readVmDescription(ptr: number, avail: number, max: number, out: number): number;
  readMarker(ptr: number, avail: number, maxData: number, out: number): number;
  readEndOfState(ptr: number, avail: number, out: number): number;
  readConfigLength(ptr: number, avail: number, max: number, out: number): number;
  readFooter(ptr: number, avail: number, sectionId: number, out: number): number;
  readReturnPath(ptr: number, avail: number, out: number): number;
  readMultifdHello(ptr: number, avail: number, uuid: number, channels: number, out: number): number;
}
