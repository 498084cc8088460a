// One call over a multifd receive window: finds complete device-state packets, validates every header
// field a receiver checks (shared/spec/qemu-wire.md section 3) and reports each packet, or how many
// more bytes are needed, or the first error and its offset. Which (idstr, instance) pairs exist is
// the host's business.
import { checkAhead, CHECKSUM_NONE, trailerBytes, trailerMatchesFrom } from "./checksum";
import {
  DEVICE_STATE_HEADER_BYTES, FLAG_CHECKSUM, FLAG_COMPRESSION_MASK, FLAG_DEVICE_STATE, FLAG_SYNC,
  IDSTR_BYTES, IDSTR_OFFSET, INSTANCE_OFFSET, loadBe32, MULTIFD_HEADER_BYTES, MULTIFD_MAGIC, MULTIFD_VERSION,
  SIZE_OFFSET, VFIO_HEADER_BYTES, VFIO_INVALID_IDX, VFIO_PACKET_VERSION,
} from "./wire";


// Results area: a 32-byte summary, then one 32-byte record per packet (native-endian u32 fields).
export const RESULT_HEADER_BYTES: u32 = 32;
export const RESULT_RECORD_BYTES: u32 = 32;

/** Why a scan stopped. */
export const STOP_NEED_MORE: u32 = 0;
export const STOP_RESULTS_FULL: u32 = 1;
export const STOP_ERROR: u32 = 2;

/** Error codes, each mapped to a stable ERR_MULTIFD_* code by src/codec/scan-errors.ts. */
export const E_MAGIC: u32 = 1;
export const E_VERSION: u32 = 2;
export const E_UNKNOWN_FLAGS: u32 = 3;
export const E_COMPRESSION: u32 = 4;
export const E_NOT_DEVICE_STATE: u32 = 5;
export const E_SYNC_DEVICE_STATE: u32 = 6;
export const E_CHECKSUM_UNEXPECTED: u32 = 7;
export const E_CHECKSUM_MISSING: u32 = 8;
export const E_IDSTR_UNTERMINATED: u32 = 9;
export const E_EMPTY: u32 = 10;
export const E_TOO_LARGE: u32 = 11;
export const E_TOO_SHORT: u32 = 12;
export const E_VFIO_VERSION: u32 = 13;
export const E_INVALID_IDX: u32 = 14;
export const E_CHECKSUM_MISMATCH: u32 = 15;

const KNOWN_FLAGS: u32 = FLAG_SYNC | FLAG_COMPRESSION_MASK | FLAG_DEVICE_STATE | FLAG_CHECKSUM;

@inline function finish(results: usize, stop: u32, count: u32, consumed: u32, needed: u32, error: u32, errorOffset: u32): u32 {
  store<u32>(results, stop);
  store<u32>(results, count, 4);
  store<u32>(results, consumed, 8);
  store<u32>(results, needed, 12);
  store<u32>(results, error, 16);
  store<u32>(results, errorOffset, 20);
  return stop;
}

/** 0, or the error of a 12-byte packet header's flags. */
function flagsError(flags: u32, checksumOn: bool): u32 {
  if (flags & ~KNOWN_FLAGS) return E_UNKNOWN_FLAGS;
  // A RAM packet first: its compression bits are its own (zlib, zstd, ...), not a device state's.
  if (!(flags & FLAG_DEVICE_STATE)) return E_NOT_DEVICE_STATE;
  if (flags & FLAG_COMPRESSION_MASK) return E_COMPRESSION;
  if (flags & FLAG_SYNC) return E_SYNC_DEVICE_STATE;
  if (flags & FLAG_CHECKSUM) return checksumOn ? 0 : E_CHECKSUM_UNEXPECTED;
  return checksumOn ? E_CHECKSUM_MISSING : 0;
}

/**
 * Scans `len` bytes at `window` (its first byte starts a packet). Writes the summary and up to
 * `maxRecords` records at `results` and returns the stop reason. `maxPayload` bounds next_packet_size.
 * `checksum` is the negotiated CHECKSUM extension's algorithm (assembly/checksum.ts; 0 = off): every
 * packet then carries its trailer and is checked against it.
 * Summary: stop, count, consumed (bytes of the complete packets reported), needed (more bytes
 * wanted after the window's end before the next packet can complete or fail), error, errorOffset.
 * Record: offset, payloadLen, wireLen, instanceId, idx, vfioFlags, packetFlags, checksum (the
 * trailer's first 4 bytes as be32; 0 if off).
 * `ahead` is 0 or a check state (assembly/checksum.ts `checkAhead`) that may cover the first
 * packet's payload: its check then finishes from there.
 */
export function scanMultifd(window: usize, len: u32, maxPayload: u32, checksum: u32, results: usize, maxRecords: u32, ahead: usize): u32 {
  const checksumOn = checksum != CHECKSUM_NONE;
  const trailer = trailerBytes(checksum);
  let at: u32 = 0;
  let count: u32 = 0;
  while (true) {
    const avail = len - at;
    if (avail < MULTIFD_HEADER_BYTES) return finish(results, STOP_NEED_MORE, count, at, MULTIFD_HEADER_BYTES - avail, 0, 0);
    if (count == maxRecords) return finish(results, STOP_RESULTS_FULL, count, at, 0, 0, 0);
    const p = window + at;
    if (loadBe32(p) != MULTIFD_MAGIC) return finish(results, STOP_ERROR, count, at, 0, E_MAGIC, at);
    if (loadBe32(p + 4) != MULTIFD_VERSION) return finish(results, STOP_ERROR, count, at, 0, E_VERSION, at + 4);
    const flags = loadBe32(p + 8);
    const flagsErr = flagsError(flags, checksumOn);
    if (flagsErr) return finish(results, STOP_ERROR, count, at, 0, flagsErr, at + 8);
    if (avail < DEVICE_STATE_HEADER_BYTES) return finish(results, STOP_NEED_MORE, count, at, DEVICE_STATE_HEADER_BYTES - avail, 0, 0);
    if (load<u8>(p + IDSTR_OFFSET + IDSTR_BYTES - 1) != 0) {
      return finish(results, STOP_ERROR, count, at, 0, E_IDSTR_UNTERMINATED, at + IDSTR_OFFSET + IDSTR_BYTES - 1);
    }
    const size = loadBe32(p + SIZE_OFFSET);
    if (size == 0) return finish(results, STOP_ERROR, count, at, 0, E_EMPTY, at + SIZE_OFFSET);
    if (size > maxPayload) return finish(results, STOP_ERROR, count, at, 0, E_TOO_LARGE, at + SIZE_OFFSET);
    if (size < VFIO_HEADER_BYTES) return finish(results, STOP_ERROR, count, at, 0, E_TOO_SHORT, at + SIZE_OFFSET);
    const vfio = p + DEVICE_STATE_HEADER_BYTES;
    const vfioAt = at + DEVICE_STATE_HEADER_BYTES;
    if (avail < DEVICE_STATE_HEADER_BYTES + VFIO_HEADER_BYTES) {
      return finish(results, STOP_NEED_MORE, count, at, DEVICE_STATE_HEADER_BYTES + VFIO_HEADER_BYTES - avail, 0, 0);
    }
    if (loadBe32(vfio) != VFIO_PACKET_VERSION) return finish(results, STOP_ERROR, count, at, 0, E_VFIO_VERSION, vfioAt);
    const idx = loadBe32(vfio + 4);
    if (idx == VFIO_INVALID_IDX) return finish(results, STOP_ERROR, count, at, 0, E_INVALID_IDX, vfioAt + 4);
    // maxPayload is bounded by the host far below 4 GiB, so this sum does not wrap.
    const wireLen = DEVICE_STATE_HEADER_BYTES + size + trailer;
    if (avail < wireLen) return finish(results, STOP_NEED_MORE, count, at, wireLen - avail, 0, 0);
    if (!trailerMatchesFrom(checksum, at == 0 ? ahead : 0, vfio, size)) return finish(results, STOP_ERROR, count, at, 0, E_CHECKSUM_MISMATCH, vfioAt + size);
    const record = results + RESULT_HEADER_BYTES + count * RESULT_RECORD_BYTES;
    store<u32>(record, at);
    store<u32>(record, size, 4);
    store<u32>(record, wireLen, 8);
    store<u32>(record, loadBe32(p + INSTANCE_OFFSET), 12);
    store<u32>(record, idx, 16);
    store<u32>(record, loadBe32(vfio + 8), 20);
    store<u32>(record, flags, 24);
    store<u32>(record, checksumOn ? loadBe32(vfio + size) : 0, 28);
    count++;
    at += wireLen;
  }
}

/**
 * Runs the check of the packet at `window` ahead over the `len` bytes landed so far, into `state`
 * (see `checkAhead`); a no-op until its header has landed, or for a header the scan refuses.
 */
export function scanAhead(window: usize, len: u32, maxPayload: u32, checksum: u32, state: usize): void {
  if (checksum == CHECKSUM_NONE || len < DEVICE_STATE_HEADER_BYTES) return;
  const size = loadBe32(window + SIZE_OFFSET);
  if (size == 0 || size > maxPayload) return;
  checkAhead(checksum, state, window + DEVICE_STATE_HEADER_BYTES, size, len - DEVICE_STATE_HEADER_BYTES);
}
