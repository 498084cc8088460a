// Encoders of the main channel (a savevm stream). Each `write*` writes into `target` at `offset` and
// returns the offset after it, so the engine can frame in place; each `encode*` returns fresh bytes.
import { checkField, dataView, encodeWith, jsonBytes, U16_MAX, U32_MAX, U8_MAX, utf8 } from "./bytes.js";
import {
  COMMAND_LENGTHS,
  FILE_HEADER_BYTES,
  MainCommand,
  MARKER_BYTES,
  MAX_CONFIGURATION_BYTES,
  MAX_VM_DESCRIPTION_BYTES,
  QEMU_VM_FILE_MAGIC,
  QEMU_VM_FILE_VERSION,
  SectionType,
  VfioMarker,
} from "./constants.js";
import { WireEncodeError } from "./errors.js";

/** `be32 0x5145564d | be32 3`. */
export function writeFileHeader(target: Uint8Array, offset: number): number {
  const view = dataView(target);
  view.setUint32(offset, QEMU_VM_FILE_MAGIC);
  view.setUint32(offset + 4, QEMU_VM_FILE_VERSION);
  return offset + FILE_HEADER_BYTES;
}
export const encodeFileHeader = (): Uint8Array => encodeWith(FILE_HEADER_BYTES, writeFileHeader);

/** `u8 type | be32 len | len bytes`: the shape of CONFIGURATION and VMDESCRIPTION. */
function encodeLengthDelimited(type: SectionType, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  dataView(out).setUint32(1, body.length);
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
  const view = dataView(target);
  view.setUint8(offset, section.type);
  view.setUint32(offset + 1, checkField(section.sectionId, U32_MAX, "section id"));
  view.setUint8(offset + 5, name.length);
  target.set(name, offset + 6);
  const at = offset + 6 + name.length;
  view.setUint32(at, checkField(section.instanceId, U32_MAX, "instance id"));
  view.setUint32(at + 4, checkField(section.version, U32_MAX, "version id"));
  return at + 8;
}
export const encodeSectionStart = (section: SectionStart): Uint8Array =>
  encodeWith(sectionStartBytes(section), (t, o) => writeSectionStart(t, o, section));

/** `u8 type | be32 id`: PART, END and the footer share it. */
function writeTypeAndId(target: Uint8Array, offset: number, type: SectionType, sectionId: number): number {
  const view = dataView(target);
  view.setUint8(offset, type);
  view.setUint32(offset + 1, checkField(sectionId, U32_MAX, "section id"));
  return offset + 5;
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
  const view = dataView(out);
  view.setUint8(0, SectionType.COMMAND);
  view.setUint16(1, checkField(command, U16_MAX, "command"));
  view.setUint16(3, length);
  out.set(data, 5);
  return out;
}

/** PING with its be32 value. */
export function encodePing(value: number): Uint8Array {
  const data = new Uint8Array(4);
  dataView(data).setUint32(0, checkField(value, U32_MAX, "ping value"));
  return encodeCommand(MainCommand.PING, data);
}

/** `u8 0x00`. */
export const encodeEof = (): Uint8Array => Uint8Array.of(SectionType.EOF);

/** A be64 VFIO marker. */
export function writeMarker(target: Uint8Array, offset: number, marker: VfioMarker): number {
  dataView(target).setBigUint64(offset, marker);
  return offset + MARKER_BYTES;
}
export const encodeMarker = (marker: VfioMarker): Uint8Array => encodeWith(MARKER_BYTES, (t, o) => writeMarker(t, o, marker));

/** `be64 DEV_DATA_STATE | be64 n`: the n device bytes follow (written by the caller, not copied here). */
export function writeDataStateHeader(target: Uint8Array, offset: number, length: number): number {
  checkField(length, Number.MAX_SAFE_INTEGER, "data length");
  const at = writeMarker(target, offset, VfioMarker.DEV_DATA_STATE);
  dataView(target).setBigUint64(at, BigInt(length));
  return at + MARKER_BYTES;
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
  const view = dataView(out);
  view.setBigUint64(0, VfioMarker.DEV_CONFIG_STATE);
  view.setBigUint64(MARKER_BYTES, BigInt(blob.length));
  out.set(blob, 2 * MARKER_BYTES);
  view.setBigUint64(2 * MARKER_BYTES + blob.length, VfioMarker.END_OF_STATE);
  return out;
}
