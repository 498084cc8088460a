// Pure-TypeScript reference of assembly/scan.ts scanMultifd: the test oracle and bench baseline.
// Same checks in the same order; returns what the WASM function writes to its results area.
import {
  DEVICE_STATE_HEADER_BYTES, MULTIFD_HEADER_BYTES, MULTIFD_MAGIC, MULTIFD_VERSION, MultifdFlag, VFIO_HEADER_BYTES,
  VFIO_INVALID_IDX, VFIO_PACKET_VERSION,
} from "../constants.js";
import { checksumAlgorithm, checksumTrailerBytes, type ChecksumOption } from "../checksum.js";
import { trailerMatchesReference } from "./checksum.js";

export interface ReferenceScan {
  /** 0 need more, 1 results full, 2 error. */
  stop: number;
  consumed: number;
  needed: number;
  error: number;
  errorOffset: number;
  /** offset, payloadLen, wireLen, instanceId, idx, vfioFlags, packetFlags, checksum. */
  records: number[][];
}

const KNOWN_FLAGS = MultifdFlag.SYNC | MultifdFlag.COMPRESSION_MASK | MultifdFlag.DEVICE_STATE | MultifdFlag.CHECKSUM;

function flagsError(flags: number, checksumOn: boolean): number {
  if (flags & ~KNOWN_FLAGS) return 3;
  if (flags & MultifdFlag.COMPRESSION_MASK) return 4;
  if (!(flags & MultifdFlag.DEVICE_STATE)) return 5;
  if (flags & MultifdFlag.SYNC) return 6;
  if (flags & MultifdFlag.CHECKSUM) return checksumOn ? 0 : 7;
  return checksumOn ? 8 : 0;
}

export function scanMultifdReference(window: Uint8Array, maxPayload: number, checksum: ChecksumOption, maxRecords: number): ReferenceScan {
  const algorithm = checksumAlgorithm(checksum);
  const checksumOn = algorithm !== "none";
  const view = new DataView(window.buffer, window.byteOffset, window.byteLength);
  const records: number[][] = [];
  let at = 0;
  const stopAt = (stop: number, needed: number, error = 0, errorOffset = 0): ReferenceScan => ({ stop, consumed: at, needed, error, errorOffset, records });
  const fail = (error: number, errorOffset: number) => stopAt(2, 0, error, errorOffset);
  for (;;) {
    const avail = window.length - at;
    if (avail < MULTIFD_HEADER_BYTES) return stopAt(0, MULTIFD_HEADER_BYTES - avail);
    if (records.length === maxRecords) return stopAt(1, 0);
    if (view.getUint32(at) !== MULTIFD_MAGIC) return fail(1, at);
    if (view.getUint32(at + 4) !== MULTIFD_VERSION) return fail(2, at + 4);
    const flags = view.getUint32(at + 8);
    const flagsErr = flagsError(flags, checksumOn);
    if (flagsErr) return fail(flagsErr, at + 8);
    if (avail < DEVICE_STATE_HEADER_BYTES) return stopAt(0, DEVICE_STATE_HEADER_BYTES - avail);
    if (window[at + 267] !== 0) return fail(9, at + 267);
    const size = view.getUint32(at + 272);
    if (size === 0) return fail(10, at + 272);
    if (size > maxPayload) return fail(11, at + 272);
    if (size < VFIO_HEADER_BYTES) return fail(12, at + 272);
    const vfio = at + DEVICE_STATE_HEADER_BYTES;
    if (avail < DEVICE_STATE_HEADER_BYTES + VFIO_HEADER_BYTES) return stopAt(0, DEVICE_STATE_HEADER_BYTES + VFIO_HEADER_BYTES - avail);
    if (view.getUint32(vfio) !== VFIO_PACKET_VERSION) return fail(13, vfio);
    const idx = view.getUint32(vfio + 4);
    if (idx === VFIO_INVALID_IDX) return fail(14, vfio + 4);
    const wireLen = DEVICE_STATE_HEADER_BYTES + size + checksumTrailerBytes(algorithm);
    if (avail < wireLen) return stopAt(0, wireLen - avail);
    if (!trailerMatchesReference(algorithm, view, vfio, vfio + size)) return fail(15, vfio + size);
    records.push([at, size, wireLen, view.getUint32(at + 268), idx, view.getUint32(vfio + 8), flags, checksumOn ? view.getUint32(vfio + size) : 0]);
    at += wireLen;
  }
}
