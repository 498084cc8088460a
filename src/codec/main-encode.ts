// Encoders of the main channel (a savevm stream). Each `write*` writes into `target` at `offset` and
// returns the offset after it, so the engine can frame in place; each `encode*` returns fresh bytes.
// Headers are written here through one cached DataView (a few bytes each: staging them through WASM
// memory cost more than writing them, see docs/BENCHMARKS.md); values are checked first.
import { bufferView, checkField, encodeWith, jsonBytes, U16_MAX, U32_MAX, U8_MAX, utf8 } from "./bytes.js";
import {
  COMMAND_LENGTHS,
  FILE_HEADER_BYTES,
  MainCommand,
  QEMU_VM_FILE_MAGIC,
  QEMU_VM_FILE_VERSION,
  MARKER_BYTES,
  MAX_CONFIGURATION_BYTES,
  MAX_VM_DESCRIPTION_BYTES,
  SectionType,
  VfioMarker,
} from "./constants.js";
import { WireEncodeError } from "./errors.js";

/** `be32 0x5145564d | be32 3`. */
export function writeFileHeader(target: Uint8Array, offset: number): number {
  const view = bufferView(target);
  const at = target.byteOffset + offset;
  view.setUint32(at, QEMU_VM_FILE_MAGIC);
  view.setUint32(at + 4, QEMU_VM_FILE_VERSION);
  return offset + FILE_HEADER_BYTES;
}

/** `u8 type | be32 value`: PART, END, the footer, and the length of CONFIGURATION and VMDESCRIPTION. */
function writeTypeAnd32(target: Uint8Array, offset: number, type: SectionType, value: number): number {
  const view = bufferView(target);
  const at = target.byteOffset + offset;
  view.setUint8(at, type);
  view.setUint32(at + 1, value);
  return offset + 5;
}
export const encodeFileHeader = (): Uint8Array => encodeWith(FILE_HEADER_BYTES, writeFileHeader);

/** `u8 type | be32 len | len bytes`: the shape of CONFIGURATION and VMDESCRIPTION. */
function encodeLengthDelimited(type: SectionType, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  writeTypeAnd32(out, 0, type, body.length);
  out.set(body, 5);
  return out;
}

/** Our CONFIGURATION section: `0x07 | be32 len | UTF-8 JSON`, at most 64 KiB of JSON. */
export function encodeConfiguration(config: unknown): Uint8Array {
  return encodeLengthDelimited(SectionType.CONFIGURATION, jsonBytes(config, MAX_CONFIGURATION_BYTES, "configuration"));
}

/** The VM description trailer after EOF: `0x06 | be32 len | JSON`. */
export function encodeVmDescription(description: unknown): Uint8Array {
  return encodeLengthDelimited(SectionType.VMDESCRIPTION, jsonBytes(description, MAX_VM_DESCRIPTION_BYTES, "VM description"));
}

export interface SectionStart {
  type: SectionType.START | SectionType.FULL;
  sectionId: number;
  idstr: string;
  instanceId: number;
  /** VFIO: 1. */
  version: number;
}

function idstrBytes(idstr: string): Uint8Array {
  const bytes = utf8(idstr);
  checkField(bytes.length, U8_MAX, "idstr length");
  return bytes;
}

export const sectionStartBytes = (section: SectionStart): number => 1 + 4 + 1 + idstrBytes(section.idstr).length + 4 + 4;

/** START / FULL: `u8 type | be32 section_id | u8 idstr_len | idstr | be32 instance_id | be32 version_id`. */
export function writeSectionStart(target: Uint8Array, offset: number, section: SectionStart): number {
  if (section.type !== SectionType.START && section.type !== SectionType.FULL) {
    throw new WireEncodeError("ERR_WIRE_ENCODE", `section type ${section.type} is not START or FULL`);
  }
  const name = idstrBytes(section.idstr);
  const sectionId = checkField(section.sectionId, U32_MAX, "section id");
  const instanceId = checkField(section.instanceId, U32_MAX, "instance id");
  const version = checkField(section.version, U32_MAX, "version id");
  const after = writeTypeAnd32(target, offset, section.type, sectionId);
  target[after] = name.length;
  target.set(name, after + 1);
  const view = bufferView(target);
  const at = target.byteOffset + after + 1 + name.length;
  view.setUint32(at, instanceId);
  view.setUint32(at + 4, version);
  return after + 9 + name.length;
}
export const encodeSectionStart = (section: SectionStart): Uint8Array =>
  encodeWith(sectionStartBytes(section), (t, o) => writeSectionStart(t, o, section));

/** `u8 type | be32 id`: PART, END and the footer share it. */
function writeTypeAndId(target: Uint8Array, offset: number, type: SectionType, sectionId: number): number {
  return writeTypeAnd32(target, offset, type, checkField(sectionId, U32_MAX, "section id"));
}

/** PART / END: `u8 type | be32 section_id`. */
export function writeSectionPart(target: Uint8Array, offset: number, type: SectionType.PART | SectionType.END, sectionId: number): number {
  if (type !== SectionType.PART && type !== SectionType.END) {
    throw new WireEncodeError("ERR_WIRE_ENCODE", `section type ${type as number} is not PART or END`);
  }
  return writeTypeAndId(target, offset, type, sectionId);
}
export const encodeSectionPart = (type: SectionType.PART | SectionType.END, sectionId: number): Uint8Array =>
  encodeWith(5, (t, o) => writeSectionPart(t, o, type, sectionId));

/** Footer after every section: `u8 0x7e | be32 section_id`. */
export const writeSectionFooter = (target: Uint8Array, offset: number, sectionId: number): number =>
  writeTypeAndId(target, offset, SectionType.FOOTER, sectionId);
export const encodeSectionFooter = (sectionId: number): Uint8Array => encodeWith(5, (t, o) => writeSectionFooter(t, o, sectionId));

/** Command: `u8 0x08 | be16 cmd | be16 len | len bytes`; only the commands we speak, with their lengths. */
export function encodeCommand(command: MainCommand, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const length = COMMAND_LENGTHS.get(command);
  if (length === undefined) throw new WireEncodeError("ERR_WIRE_ENCODE", `command ${command} is not one we send`);
  if (data.length !== length) throw new WireEncodeError("ERR_WIRE_ENCODE", `command ${MainCommand[command]} takes ${length} bytes, got ${data.length}`);
  const out = new Uint8Array(5 + length);
  const code = checkField(command, U16_MAX, "command");
  const view = bufferView(out);
  view.setUint8(out.byteOffset, SectionType.COMMAND);
  view.setUint16(out.byteOffset + 1, code);
  view.setUint16(out.byteOffset + 3, length);
  out.set(data, 5);
  return out;
}

/** PING with its be32 value. */
export function encodePing(value: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, checkField(value, U32_MAX, "ping value"));
  return encodeCommand(MainCommand.PING, data);
}

/** `u8 0x00`. */
export const encodeEof = (): Uint8Array => Uint8Array.of(SectionType.EOF);

/** A be64 VFIO marker. */
export function writeMarker(target: Uint8Array, offset: number, marker: VfioMarker): number {
  bufferView(target).setBigUint64(target.byteOffset + offset, marker);
  return offset + MARKER_BYTES;
}
export const encodeMarker = (marker: VfioMarker): Uint8Array => encodeWith(MARKER_BYTES, (t, o) => writeMarker(t, o, marker));

/** `be64 DEV_DATA_STATE | be64 n`: the n device bytes follow (written by the caller, not copied here). */
export function writeDataStateHeader(target: Uint8Array, offset: number, length: number): number {
  checkField(length, Number.MAX_SAFE_INTEGER, "data length");
  return writeMarkerLength(target, offset, VfioMarker.DEV_DATA_STATE, length);
}

/** `be64 marker | be64 length` (a checked safe integer), as two be32 halves: no BigInt for the length. */
function writeMarkerLength(target: Uint8Array, offset: number, marker: VfioMarker, length: number): number {
  const view = bufferView(target);
  const at = target.byteOffset + offset;
  view.setBigUint64(at, marker);
  view.setUint32(at + MARKER_BYTES, Math.floor(length / 0x100000000));
  view.setUint32(at + MARKER_BYTES + 4, length >>> 0);
  return offset + 2 * MARKER_BYTES;
}
export const DATA_STATE_HEADER_BYTES = 2 * MARKER_BYTES;
export const encodeDataStateHeader = (length: number): Uint8Array =>
  encodeWith(DATA_STATE_HEADER_BYTES, (t, o) => writeDataStateHeader(t, o, length));

/**
 * The config blob on the main channel: `be64 DEV_CONFIG_STATE | be64 n | n bytes | be64 END_OF_STATE`.
 * QEMU writes the VMState without a length (its reader understands the VMState); ours are opaque,
 * so we add the be64 length: our one deviation from QEMU's bytes (docs/wire-format.md).
 */
export function encodeConfigState(blob: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 * MARKER_BYTES + blob.length);
  writeMarkerLength(out, 0, VfioMarker.DEV_CONFIG_STATE, blob.length);
  out.set(blob, 2 * MARKER_BYTES);
  writeMarker(out, 2 * MARKER_BYTES + blob.length, VfioMarker.END_OF_STATE);
  return out;
}
