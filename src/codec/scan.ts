// The TypeScript face of the WASM multifd scanner (assembly/scan.ts): one call per receive window.
import { DEVICE_STATE_HEADER_BYTES, DEVICE_STATE_IDSTR_BYTES, DEVICE_STATE_IDSTR_OFFSET, DEVICE_STATE_INSTANCE_OFFSET } from "./constants.js";
import { checksumAlgorithm, checksumCode, type ChecksumOption } from "./checksum.js";
import { WireEncodeError, WireFormatError } from "./errors.js";
import type { CodecInstance } from "./wasm/load.js";

/** Summary, then one record per packet: 8 u32 each (assembly/scan.ts). */
export const SCAN_HEADER_BYTES = 32;
export const SCAN_RECORD_BYTES = 32;
/** Bytes of a check-ahead state region (assembly/checksum.ts CHECK_STATE_BYTES; a test checks both agree). */
export const CHECK_AHEAD_BYTES = 80;
/** The scanner's bound on next_packet_size: far below 4 GiB so its sums never wrap. */
export const MAX_SCAN_PAYLOAD_BYTES = 1 << 30;

export function scanResultsBytes(maxRecords: number): number {
  return SCAN_HEADER_BYTES + maxRecords * SCAN_RECORD_BYTES;
}

/** A complete, validated device-state packet in the window. */
export interface ScannedPacket {
  /** Of the packet's first byte, from the window's start. */
  offset: number;
  /** next_packet_size: VFIO header + data. */
  payloadLength: number;
  /** Bytes on the wire: 276 + payload (+ the checksum trailer). */
  wireLength: number;
  instanceId: number;
  idx: number;
  vfioFlags: number;
  packetFlags: number;
  /** The packet's verified trailer's first 4 bytes as be32 (all of a CRC32C); 0 when the extension is off. */
  checksum: number;
}

export interface ScanSummary {
  /**
   * "need-more": the window ends inside a packet (or at a boundary); "results-full": call again
   * after `consumed`; "error": the packet after the `count` good ones is bad (`error`).
   */
  stop: "need-more" | "results-full" | "error";
  count: number;
  /** Bytes of the complete packets reported, from the window's start. */
  consumed: number;
  /** With "need-more": bytes wanted past the window's end before the next packet completes or fails. */
  needed: number;
  /** With "error": what is wrong, at which stream offset. */
  error?: WireFormatError;
}

const STOP_ERROR = 2;

/** Scanner error numbers (assembly/scan.ts E_*) to stable codes and QEMU-like messages. */
const SCAN_ERRORS: ReadonlyArray<readonly [string, string]> = [
  ["", ""],
  ["ERR_MULTIFD_BAD_MAGIC", "multifd packet magic is not 0x11223344"],
  ["ERR_MULTIFD_BAD_VERSION", "multifd packet version is not 1"],
  ["ERR_MULTIFD_UNKNOWN_FLAGS", "multifd packet has unknown flag bits"],
  ["ERR_MULTIFD_COMPRESSION", "multifd device state packet has compression flag bits set (device state is never compressed)"],
  ["ERR_MULTIFD_NOT_DEVICE_STATE", "multifd packet is a RAM packet (no DEVICE_STATE flag): this reader takes device state packets only"],
  ["ERR_MULTIFD_SYNC_DEVICE_STATE", "received SYNC device state packet"],
  ["ERR_MULTIFD_CHECKSUM_FLAG", "multifd packet has the CHECKSUM flag but checksums were not negotiated"],
  ["ERR_MULTIFD_CHECKSUM_FLAG", "multifd packet lacks the negotiated CHECKSUM flag"],
  ["ERR_MULTIFD_IDSTR_UNTERMINATED", "unterminated multifd device state idstr"],
  ["ERR_MULTIFD_EMPTY_PACKET", "received empty device state packet"],
  ["ERR_MULTIFD_PACKET_TOO_LARGE", "device state packet is over the configured maximum"],
  ["ERR_MULTIFD_PACKET_TOO_SHORT", "device state packet too short for its VFIO header"],
  ["ERR_MULTIFD_VFIO_VERSION", "device state packet has an unknown VFIO version"],
  ["ERR_MULTIFD_BAD_IDX", "device state packet index is invalid (0xffffffff)"],
  ["ERR_MULTIFD_CHECKSUM_MISMATCH", "device state packet checksum does not match"],
];

/** The error the scanner's error number stands for, at stream offset `offset`. */
export function scanError(error: number, offset: number, subject?: string): WireFormatError {
  const [code, message] = SCAN_ERRORS[error];
  return new WireFormatError(code, message, offset, subject);
}

export interface ScannerOptions {
  /** Results area in the instance's memory, `scanResultsBytes(maxRecords)` long, 4-byte aligned. */
  results: number;
  maxRecords: number;
  /** Bound on next_packet_size (at most MAX_SCAN_PAYLOAD_BYTES). */
  maxPayloadBytes: number;
  /** The CHECKSUM extension's negotiated algorithm (`true`: CRC32C): every packet carries its trailer and it is verified. */
  checksum: ChecksumOption;
  /** Channel name for errors. */
  subject?: string;
}

/**
 * A check run ahead over one packet at a time as its bytes land (`MultifdScanner.checkAhead`): a
 * state region of CHECK_AHEAD_BYTES in the instance's memory, for one channel.
 */
export class CheckAhead {
  constructor(
    readonly instance: CodecInstance,
    readonly state: number,
  ) {
    if (state % 16 !== 0 || state < instance.heapBase || state + CHECK_AHEAD_BYTES > instance.byteLength) {
      throw new WireEncodeError("ERR_WIRE_ENCODE", "check state is misaligned or outside the instance's host memory");
    }
    this.reset();
  }

  /** A new packet starts where the last one lay: forget what was covered. */
  reset(): void {
    this.instance.exports.checkReset(this.state);
  }
}

/** Scans multifd receive windows that lie in one instance's memory. */
export class MultifdScanner {
  private readonly records: Uint32Array;
  private readonly checksumCode: number;

  constructor(
    readonly instance: CodecInstance,
    readonly options: ScannerOptions,
  ) {
    const { results, maxRecords, maxPayloadBytes } = options;
    if (results % 4 !== 0 || results < instance.heapBase || results + scanResultsBytes(maxRecords) > instance.byteLength || maxRecords < 1) {
      throw new WireEncodeError("ERR_WIRE_ENCODE", "scanner results area is misaligned or outside the instance's host memory");
    }
    if (!(maxPayloadBytes >= 12 && maxPayloadBytes <= MAX_SCAN_PAYLOAD_BYTES)) {
      throw new WireEncodeError("ERR_WIRE_ENCODE", `maxPayloadBytes ${maxPayloadBytes} is outside 12..${MAX_SCAN_PAYLOAD_BYTES}`);
    }
    this.records = new Uint32Array(instance.memory.buffer, results, scanResultsBytes(maxRecords) / 4);
    this.checksumCode = checksumCode(checksumAlgorithm(options.checksum));
  }

  /**
   * Scans `length` bytes at `window` (a packet starts there). A bad packet stops the scan with its
   * WireFormatError in `error`, its offset counted from `streamOffset` (the window's place in the
   * stream); the packets before it are reported as usual.
   */
  scan(window: number, length: number, streamOffset = 0): ScanSummary {
    const { results, maxRecords, maxPayloadBytes, subject } = this.options;
    this.checkWindow(window, length);
    const stop = this.instance.exports.scanMultifd(window, length, maxPayloadBytes, this.checksumCode, results, maxRecords, 0);
    const r = this.records;
    const summary: ScanSummary = { stop: stop === 0 ? "need-more" : "results-full", count: r[1], consumed: r[2], needed: r[3] };
    if (stop === STOP_ERROR) return { ...summary, stop: "error", error: scanError(r[4], streamOffset + r[5], subject) };
    return summary;
  }

  /**
   * `scan` for the hot path, allocating nothing: returns how many packets were found (`packet(i,
   * into)` reads them, `needed` the bytes wanted), or -1 for an error (call `scan` for it).
   */
  scanCount(window: number, length: number, ahead?: CheckAhead): number {
    const { results, maxRecords, maxPayloadBytes } = this.options;
    this.checkWindow(window, length);
    const state = ahead?.instance === this.instance ? ahead.state : 0;
    const stop = this.instance.exports.scanMultifd(window, length, maxPayloadBytes, this.checksumCode, results, maxRecords, state);
    return stop === STOP_ERROR ? -1 : this.records[1];
  }

  /**
   * Runs the negotiated check of the packet at `window` over the `length` bytes of it that have
   * landed, into `ahead` (a receiver calls this as bytes arrive, while they are in the cache); a
   * later `scanCount(window, ..., ahead)` finishes the check from there. A no-op without a checksum.
   */
  checkAhead(window: number, length: number, ahead: CheckAhead): void {
    if (this.checksumCode === 0 || ahead.instance !== this.instance) return;
    this.checkWindow(window, length);
    this.instance.exports.scanAhead(window, length, this.options.maxPayloadBytes, this.checksumCode, ahead.state);
  }

  private checkWindow(window: number, length: number): void {
    if (window < this.instance.heapBase || window + length > this.instance.byteLength) {
      throw new WireEncodeError("ERR_WIRE_ENCODE", "scan window is outside the instance's host memory");
    }
  }

  /** With "need-more" from the last scan: bytes wanted past the window's end. */
  get needed(): number {
    return this.records[3];
  }

  /** Packet `i` of the last scan, into `into` when given (no allocation). */
  packet(i: number, into?: ScannedPacket): ScannedPacket {
    const at = (SCAN_HEADER_BYTES + i * SCAN_RECORD_BYTES) / 4;
    const r = this.records;
    const p = into ?? ({} as ScannedPacket);
    p.offset = r[at];
    p.payloadLength = r[at + 1];
    p.wireLength = r[at + 2];
    p.instanceId = r[at + 3];
    p.idx = r[at + 4];
    p.vfioFlags = r[at + 5];
    p.packetFlags = r[at + 6];
    p.checksum = r[at + 7];
    return p;
  }
}

const utf8Decoder = new TextDecoder("utf-8");

/** The idstr of a packet whose first byte is at `packetStart` in `bytes` (up to its NUL). */
export function packetIdstr(bytes: Uint8Array, packetStart: number): string {
  const field = bytes.subarray(packetStart + DEVICE_STATE_IDSTR_OFFSET, packetStart + DEVICE_STATE_IDSTR_OFFSET + DEVICE_STATE_IDSTR_BYTES);
  const end = field.indexOf(0);
  return utf8Decoder.decode(field.subarray(0, end < 0 ? field.length : end));
}

/**
 * The header fields of a packet whose first byte is at `packetStart` in `bytes`, read in place: for
 * a packet the scan has checked but not yet recorded (still landing, or broken past its headers).
 */
export function packetHeader(bytes: Uint8Array, packetStart: number): { instanceId: number; idx: number; vfioFlags: number } {
  const vfio = packetStart + DEVICE_STATE_HEADER_BYTES;
  return { instanceId: be32(bytes, packetStart + DEVICE_STATE_INSTANCE_OFFSET), idx: be32(bytes, vfio + 4), vfioFlags: be32(bytes, vfio + 8) };
}

function be32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
