// Pure-TypeScript reference of assembly/main-wire.ts's readers: the test oracle. Same contracts over `bytes`
// with `ptr` an offset into it and `out` the results slots: readers return the header's length,
// 0 with out[0] = bytes needed, or -error with out[0] = the offset at fault.
import {
  COMMAND_LENGTHS, MAIN_COMMAND_MAX, MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, MULTIFD_UUID_BYTES, MULTIFD_VERSION, QEMU_VM_FILE_MAGIC, QEMU_VM_FILE_VERSION, ReturnPathType, SectionType, VfioMarker,
} from "../constants.js";
import { HeaderError } from "../wire-wasm.js";

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Body lengths of the return-path types with a fixed body. */
export const RP_FIXED_LENGTHS: ReadonlyMap<number, number> = new Map([
  [ReturnPathType.SHUT, 4],
  [ReturnPathType.PONG, 4],
  [ReturnPathType.RESUME_ACK, 4],
  [ReturnPathType.SWITCHOVER_ACK, 0],
]);

function needMore(out: Uint32Array, total: number, avail: number): number {
  out[0] = total - avail;
  return 0;
}

function fail(out: Uint32Array, error: HeaderError, at: number): number {
  out[0] = at;
  return -error;
}

function setOut64(out: Uint32Array, slot: number, value: bigint): void {
  out[slot] = Number(value & 0xffffffffn);
  out[slot + 1] = Number(value >> 32n);
}

// ---- readers

export function readFileHeaderReference(bytes: Uint8Array, ptr: number, avail: number, out: Uint32Array): number {
  if (avail < 8) return needMore(out, 8, avail);
  out[1] = view(bytes).getUint32(ptr);
  out[2] = view(bytes).getUint32(ptr + 4);
  if (out[1] !== QEMU_VM_FILE_MAGIC) return fail(out, HeaderError.FILE_MAGIC, 0);
  if (out[2] !== QEMU_VM_FILE_VERSION) return fail(out, HeaderError.FILE_VERSION, 4);
  return 8;
}

function readLengthDelimited(bytes: Uint8Array, ptr: number, avail: number, max: number, out: Uint32Array): number {
  if (avail < 5) return needMore(out, 5, avail);
  out[2] = view(bytes).getUint32(ptr + 1);
  if (out[2] > max) return fail(out, HeaderError.TOO_LARGE, 1);
  return 5;
}

export function readTopLevelReference(bytes: Uint8Array, ptr: number, avail: number, started: boolean, maxConfig: number, out: Uint32Array): number {
  if (avail < 1) return needMore(out, 1, avail);
  const v = view(bytes);
  const type = bytes[ptr];
  out[1] = type;
  switch (type) {
    case SectionType.CONFIGURATION:
      if (started) return fail(out, HeaderError.UNEXPECTED_SECTION, 0);
      return readLengthDelimited(bytes, ptr, avail, maxConfig, out);
    case SectionType.START:
    case SectionType.FULL: {
      if (avail < 6) return needMore(out, 6, avail);
      const idstrLen = bytes[ptr + 5];
      const total = 14 + idstrLen;
      if (avail < total) return needMore(out, total, avail);
      out[2] = v.getUint32(ptr + 1);
      out[3] = idstrLen;
      out[4] = v.getUint32(ptr + 6 + idstrLen);
      out[5] = v.getUint32(ptr + 10 + idstrLen);
      return total;
    }
    case SectionType.PART:
    case SectionType.END:
      if (avail < 5) return needMore(out, 5, avail);
      out[2] = v.getUint32(ptr + 1);
      return 5;
    case SectionType.COMMAND: {
      if (avail < 5) return needMore(out, 5, avail);
      const command = v.getUint16(ptr + 1);
      const length = v.getUint16(ptr + 3);
      out[2] = command;
      out[3] = length;
      if (command === 0 || command >= MAIN_COMMAND_MAX) return fail(out, HeaderError.UNKNOWN_COMMAND, 1);
      const expected = COMMAND_LENGTHS.get(command);
      if (expected === undefined) return fail(out, HeaderError.UNSUPPORTED_COMMAND, 1);
      if (length !== expected) return fail(out, HeaderError.COMMAND_LENGTH, 3);
      if (avail < 5 + length) return needMore(out, 5 + length, avail);
      if (length === 4) out[4] = v.getUint32(ptr + 5);
      return 5 + length;
    }
    case SectionType.EOF:
      return 1;
    default:
      return fail(out, HeaderError.UNKNOWN_SECTION, 0);
  }
}

export function readVmDescriptionReference(bytes: Uint8Array, ptr: number, avail: number, max: number, out: Uint32Array): number {
  if (avail < 1) return needMore(out, 1, avail);
  out[1] = bytes[ptr];
  if (out[1] !== SectionType.VMDESCRIPTION) return fail(out, HeaderError.TRAILING_BYTES, 0);
  return readLengthDelimited(bytes, ptr, avail, max, out);
}

export function readMarkerReference(bytes: Uint8Array, ptr: number, avail: number, maxData: number, out: Uint32Array): number {
  if (avail < 8) return needMore(out, 8, avail);
  const value = view(bytes).getBigUint64(ptr);
  if (value === VfioMarker.DEV_DATA_STATE) {
    if (avail < 16) return needMore(out, 16, avail);
    const length = view(bytes).getBigUint64(ptr + 8);
    out[1] = 4;
    setOut64(out, 2, length);
    if (length > BigInt(maxData)) return fail(out, HeaderError.TOO_LARGE, 8);
    return 16;
  }
  const flag = value - 0xffffffffef100000n;
  const known = flag >= 1n && flag <= 6n;
  out[1] = known ? Number(flag) : 0;
  setOut64(out, 2, value);
  return known ? 8 : fail(out, HeaderError.UNKNOWN_MARKER, 0);
}

export function readEndOfStateReference(bytes: Uint8Array, ptr: number, avail: number, out: Uint32Array): number {
  if (avail < 8) return needMore(out, 8, avail);
  const value = view(bytes).getBigUint64(ptr);
  setOut64(out, 2, value);
  return value === VfioMarker.END_OF_STATE ? 8 : fail(out, HeaderError.EXPECTED_END_OF_STATE, 0);
}

export function readConfigLengthReference(bytes: Uint8Array, ptr: number, avail: number, max: number, out: Uint32Array): number {
  if (avail < 8) return needMore(out, 8, avail);
  const length = view(bytes).getBigUint64(ptr);
  setOut64(out, 2, length);
  return length > BigInt(max) ? fail(out, HeaderError.TOO_LARGE, 0) : 8;
}

export function readFooterReference(bytes: Uint8Array, ptr: number, avail: number, sectionId: number, out: Uint32Array): number {
  if (avail < 5) return needMore(out, 5, avail);
  out[1] = bytes[ptr];
  out[2] = view(bytes).getUint32(ptr + 1);
  if (out[1] !== SectionType.FOOTER) return fail(out, HeaderError.FOOTER_MISSING, 0);
  if (out[2] !== sectionId) return fail(out, HeaderError.FOOTER_ID, 1);
  return 5;
}

export function readReturnPathReference(bytes: Uint8Array, ptr: number, avail: number, out: Uint32Array): number {
  if (avail < 4) return needMore(out, 4, avail);
  const type = view(bytes).getUint16(ptr);
  const length = view(bytes).getUint16(ptr + 2);
  out[1] = type;
  out[2] = length;
  if (type === ReturnPathType.CONFIG || type === ReturnPathType.REPORT) return 4;
  const fixed = RP_FIXED_LENGTHS.get(type);
  if (fixed === undefined) return fail(out, HeaderError.RP_UNKNOWN_TYPE, 0);
  if (length !== fixed) return fail(out, HeaderError.RP_BAD_LENGTH, 2);
  if (avail < 4 + length) return needMore(out, 4 + length, avail);
  out[3] = length === 4 ? view(bytes).getUint32(ptr + 4) : 0;
  return 4 + length;
}

export function readMultifdHelloReference(bytes: Uint8Array, ptr: number, avail: number, uuid: number, channels: number, out: Uint32Array): number {
  if (avail < MULTIFD_HELLO_BYTES) return needMore(out, MULTIFD_HELLO_BYTES, avail);
  out[1] = view(bytes).getUint32(ptr);
  out[2] = view(bytes).getUint32(ptr + 4);
  out[3] = bytes[ptr + 24];
  if (out[1] !== MULTIFD_MAGIC) return fail(out, HeaderError.HELLO_MAGIC, 0);
  if (out[2] !== MULTIFD_VERSION) return fail(out, HeaderError.HELLO_VERSION, 4);
  for (let i = 0; uuid !== 0 && i < MULTIFD_UUID_BYTES; i++) {
    if (bytes[ptr + 8 + i] !== bytes[uuid + i]) return fail(out, HeaderError.HELLO_UUID, 8);
  }
  if (out[3] >= channels) return fail(out, HeaderError.HELLO_CHANNEL_ID, 24);
  return MULTIFD_HELLO_BYTES;
}
