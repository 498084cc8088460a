// Raw header bytes for the reader tests: any field values, valid or not (the library's encoders
// check their values first, so they cannot build the hostile headers the readers must refuse).
import {
  MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, MULTIFD_VERSION, QEMU_VM_FILE_MAGIC, QEMU_VM_FILE_VERSION, SectionType,
} from "../../src/codec/constants.js";
import { dataView } from "../../src/codec/bytes.js";
import { RP_FIXED_LENGTHS } from "../../src/codec/reference/main-wire.js";

const view = dataView;

export function writeFileHeaderRaw(bytes: Uint8Array, ptr: number): number {
  view(bytes).setUint32(ptr, QEMU_VM_FILE_MAGIC);
  view(bytes).setUint32(ptr + 4, QEMU_VM_FILE_VERSION);
  return 8;
}

export function writeSectionStartRaw(bytes: Uint8Array, ptr: number, type: number, sectionId: number, idstrLen: number, instanceId: number, version: number): number {
  const v = view(bytes);
  v.setUint8(ptr, type);
  v.setUint32(ptr + 1, sectionId);
  v.setUint8(ptr + 5, idstrLen);
  v.setUint32(ptr + 6 + idstrLen, instanceId);
  v.setUint32(ptr + 10 + idstrLen, version);
  return 14 + idstrLen;
}

export function writeSectionHeaderRaw(bytes: Uint8Array, ptr: number, type: number, sectionId: number): number {
  view(bytes).setUint8(ptr, type);
  view(bytes).setUint32(ptr + 1, sectionId);
  return 5;
}

export const writeLengthDelimitedHeaderRaw = writeSectionHeaderRaw;

export function writeCommandHeaderRaw(bytes: Uint8Array, ptr: number, command: number, length: number): number {
  const v = view(bytes);
  v.setUint8(ptr, SectionType.COMMAND);
  v.setUint16(ptr + 1, command);
  v.setUint16(ptr + 3, length);
  return 5;
}

export function writeEofRaw(bytes: Uint8Array, ptr: number): number {
  bytes[ptr] = SectionType.EOF;
  return 1;
}

export function writeMarkerRaw(bytes: Uint8Array, ptr: number, marker: bigint): number {
  view(bytes).setBigUint64(ptr, marker);
  return 8;
}

export function writeMarkerLengthRaw(bytes: Uint8Array, ptr: number, marker: bigint, length: number): number {
  view(bytes).setBigUint64(ptr, marker);
  view(bytes).setBigUint64(ptr + 8, BigInt(length));
  return 16;
}

export function writeReturnPathRaw(bytes: Uint8Array, ptr: number, type: number, length: number, value: number): number {
  view(bytes).setUint16(ptr, type);
  view(bytes).setUint16(ptr + 2, length);
  if (RP_FIXED_LENGTHS.get(type) !== 4) return 4;
  view(bytes).setUint32(ptr + 4, value);
  return 8;
}

export function writeMultifdHelloRaw(bytes: Uint8Array, ptr: number, channelId: number): number {
  view(bytes).setUint32(ptr, MULTIFD_MAGIC);
  view(bytes).setUint32(ptr + 4, MULTIFD_VERSION);
  bytes[ptr + 24] = channelId;
  bytes.fill(0, ptr + 25, ptr + MULTIFD_HELLO_BYTES);
  return MULTIFD_HELLO_BYTES;
}

