// Header readers of the main channel, the return path and the multifd hello (docs/wire-format.md 1-3);
// the host writes headers itself (a few bytes each: staging them here cost more than writing them).
// Readers parse the header at `ptr` given `avail` bytes and
// return its length (> 0), READ_NEED_MORE (0) with out[0] = bytes still needed, or -E_* with
// out[0] = the offset of the field at fault; parsed fields go to out[1..] as native-endian u32s.
// The engine's state (which section ids exist, what it expects next) stays with the host.
import { loadBe32, MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, MULTIFD_VERSION, QEMU_VM_FILE_MAGIC, QEMU_VM_FILE_VERSION, ReturnPathType, SectionType, VFIO_MARKER_BASE, VfioMarkerFlag } from "./wire";

export const READ_NEED_MORE: i32 = 0;

/** Error numbers, mapped to stable codes by src/codec/wire-wasm.ts. */
export const E_FILE_MAGIC: i32 = 1;
export const E_FILE_VERSION: i32 = 2;
export const E_UNKNOWN_SECTION: i32 = 3;
export const E_UNEXPECTED_SECTION: i32 = 4;
export const E_TOO_LARGE: i32 = 5;
export const E_UNKNOWN_COMMAND: i32 = 6;
export const E_UNSUPPORTED_COMMAND: i32 = 7;
export const E_COMMAND_LENGTH: i32 = 8;
export const E_UNKNOWN_MARKER: i32 = 9;
export const E_EXPECTED_END_OF_STATE: i32 = 10;
export const E_FOOTER_MISSING: i32 = 11;
export const E_FOOTER_ID: i32 = 12;
export const E_TRAILING_BYTES: i32 = 13;
export const E_RP_UNKNOWN_TYPE: i32 = 14;
export const E_RP_BAD_LENGTH: i32 = 15;
export const E_HELLO_MAGIC: i32 = 16;
export const E_HELLO_VERSION: i32 = 17;
export const E_HELLO_UUID: i32 = 18;
export const E_HELLO_CHANNEL_ID: i32 = 19;

const FILE_HEADER_BYTES: u32 = 8;
const MARKER_BYTES: u32 = 8;
/** `MIG_CMD_MAX`. */
const MAIN_COMMAND_MAX: u32 = 12;
const UUID_OFFSET: u32 = 8;
const UUID_BYTES: u32 = 16;
const CHANNEL_ID_OFFSET: u32 = 24;

@inline function loadBe16(ptr: usize): u32 {
  return <u32>bswap<u16>(load<u16>(ptr));
}

@inline function loadBe64(ptr: usize): u64 {
  return bswap<u64>(load<u64>(ptr));
}

@inline function setOut(out: usize, slot: u32, value: u32): void {
  store<u32>(out + (<usize>slot << 2), value);
}

@inline function needMore(out: usize, total: u32, avail: u32): i32 {
  setOut(out, 0, total - avail);
  return READ_NEED_MORE;
}

@inline function fail(out: usize, error: i32, at: u32): i32 {
  setOut(out, 0, at);
  return -error;
}

@inline function setOut64(out: usize, slot: u32, value: u64): void {
  setOut(out, slot, <u32>value);
  setOut(out, slot + 1, <u32>(value >>> 32));
}

/** Payload length of a command we speak; -1 for one we refuse (postcopy, PACKAGED, COLO). */
function commandLength(command: u32): i32 {
  if (command == 1 || command == 11) return 0; // OPEN_RETURN_PATH, SWITCHOVER_START
  if (command == 2) return 4; // PING
  return -1;
}

/** Body length of a fixed-length return-path type; -1 for a type we do not know. */
function returnPathLength(type: u32): i32 {
  if (type == ReturnPathType.SHUT || type == ReturnPathType.PONG || type == ReturnPathType.RESUME_ACK) return 4;
  if (type == ReturnPathType.SWITCHOVER_ACK) return 0;
  return -1;
}

// ---- readers -------------------------------------------------------------------------------------

/** The stream header. out: magic, version. */
export function readFileHeader(ptr: usize, avail: u32, out: usize): i32 {
  if (avail < FILE_HEADER_BYTES) return needMore(out, FILE_HEADER_BYTES, avail);
  const magic = loadBe32(ptr);
  const version = loadBe32(ptr + 4);
  setOut(out, 1, magic);
  setOut(out, 2, version);
  if (magic != QEMU_VM_FILE_MAGIC) return fail(out, E_FILE_MAGIC, 0);
  if (version != QEMU_VM_FILE_VERSION) return fail(out, E_FILE_VERSION, 4);
  return FILE_HEADER_BYTES;
}

/** `u8 type | be32 len` of a JSON section, bounded by `max`; the body is the host's. out: type, len. */
function readLengthDelimited(ptr: usize, avail: u32, max: u32, out: usize): i32 {
  if (avail < 5) return needMore(out, 5, avail);
  const length = loadBe32(ptr + 1);
  setOut(out, 2, length);
  if (length > max) return fail(out, E_TOO_LARGE, 1);
  return 5;
}

/**
 * One top-level record's header, by its type byte. out[1] = type, then
 * START/FULL: sectionId, idstrLen (the idstr lies at ptr + 6), instanceId, version;
 * PART/END: sectionId; COMMAND: command, len, value (len 4); CONFIGURATION: len (at most `maxConfig`).
 * CONFIGURATION is refused once `started` (anything came after the stream header).
 */
export function readTopLevel(ptr: usize, avail: u32, started: bool, maxConfig: u32, out: usize): i32 {
  if (avail < 1) return needMore(out, 1, avail);
  const type = <u32>load<u8>(ptr);
  setOut(out, 1, type);
  switch (type) {
    case SectionType.CONFIGURATION: {
      if (started) return fail(out, E_UNEXPECTED_SECTION, 0);
      return readLengthDelimited(ptr, avail, maxConfig, out);
    }
    case SectionType.START:
    case SectionType.FULL: {
      if (avail < 6) return needMore(out, 6, avail);
      const idstrLen = <u32>load<u8>(ptr + 5);
      const total: u32 = 14 + idstrLen;
      if (avail < total) return needMore(out, total, avail);
      setOut(out, 2, loadBe32(ptr + 1));
      setOut(out, 3, idstrLen);
      setOut(out, 4, loadBe32(ptr + 6 + idstrLen));
      setOut(out, 5, loadBe32(ptr + 10 + idstrLen));
      return <i32>total;
    }
    case SectionType.PART:
    case SectionType.END: {
      if (avail < 5) return needMore(out, 5, avail);
      setOut(out, 2, loadBe32(ptr + 1));
      return 5;
    }
    case SectionType.COMMAND: {
      if (avail < 5) return needMore(out, 5, avail);
      const command = loadBe16(ptr + 1);
      const length = loadBe16(ptr + 3);
      setOut(out, 2, command);
      setOut(out, 3, length);
      if (command == 0 || command >= MAIN_COMMAND_MAX) return fail(out, E_UNKNOWN_COMMAND, 1);
      const expected = commandLength(command);
      if (expected < 0) return fail(out, E_UNSUPPORTED_COMMAND, 1);
      if (length != <u32>expected) return fail(out, E_COMMAND_LENGTH, 3);
      const total: u32 = 5 + length;
      if (avail < total) return needMore(out, total, avail);
      if (length == 4) setOut(out, 4, loadBe32(ptr + 5));
      return <i32>total;
    }
    case SectionType.EOF:
      return 1;
    default:
      return fail(out, E_UNKNOWN_SECTION, 0);
  }
}

/** After EOF only a VM description may come. out: type, len (at most `max`). */
export function readVmDescription(ptr: usize, avail: u32, max: u32, out: usize): i32 {
  if (avail < 1) return needMore(out, 1, avail);
  const type = <u32>load<u8>(ptr);
  setOut(out, 1, type);
  if (type != SectionType.VMDESCRIPTION) return fail(out, E_TRAILING_BYTES, 0);
  return readLengthDelimited(ptr, avail, max, out);
}

/**
 * A VFIO marker inside a section; DEV_DATA_STATE is read with its be64 length (at most `maxData`)
 * so a bad length fails before the marker is consumed. out: flag (1..6), value or length as lo, hi.
 */
export function readMarker(ptr: usize, avail: u32, maxData: u32, out: usize): i32 {
  if (avail < MARKER_BYTES) return needMore(out, MARKER_BYTES, avail);
  const value = loadBe64(ptr);
  if (value == (VFIO_MARKER_BASE | VfioMarkerFlag.DEV_DATA_STATE)) {
    if (avail < 2 * MARKER_BYTES) return needMore(out, 2 * MARKER_BYTES, avail);
    const length = loadBe64(ptr + MARKER_BYTES);
    setOut(out, 1, VfioMarkerFlag.DEV_DATA_STATE);
    setOut64(out, 2, length);
    if (length > <u64>maxData) return fail(out, E_TOO_LARGE, MARKER_BYTES);
    return 2 * MARKER_BYTES;
  }
  const flag = value - VFIO_MARKER_BASE;
  setOut(out, 1, flag >= 1 && flag <= 6 ? <u32>flag : 0);
  setOut64(out, 2, value);
  if (flag < 1 || flag > 6) return fail(out, E_UNKNOWN_MARKER, 0);
  return MARKER_BYTES;
}

/** END_OF_STATE where it must follow (after DEV_SETUP_STATE and the config blob). out: value lo, hi. */
export function readEndOfState(ptr: usize, avail: u32, out: usize): i32 {
  if (avail < MARKER_BYTES) return needMore(out, MARKER_BYTES, avail);
  const value = loadBe64(ptr);
  setOut64(out, 2, value);
  if (value != (VFIO_MARKER_BASE | VfioMarkerFlag.END_OF_STATE)) return fail(out, E_EXPECTED_END_OF_STATE, 0);
  return MARKER_BYTES;
}

/** The be64 length of our config blob, at most `max`; the blob is the host's. out: length lo, hi. */
export function readConfigLength(ptr: usize, avail: u32, max: u32, out: usize): i32 {
  if (avail < MARKER_BYTES) return needMore(out, MARKER_BYTES, avail);
  const length = loadBe64(ptr);
  setOut64(out, 2, length);
  if (length > <u64>max) return fail(out, E_TOO_LARGE, 0);
  return MARKER_BYTES;
}

/** The footer of section `sectionId`. out: type, id. */
export function readFooter(ptr: usize, avail: u32, sectionId: u32, out: usize): i32 {
  if (avail < 5) return needMore(out, 5, avail);
  const type = <u32>load<u8>(ptr);
  const id = loadBe32(ptr + 1);
  setOut(out, 1, type);
  setOut(out, 2, id);
  if (type != SectionType.FOOTER) return fail(out, E_FOOTER_MISSING, 0);
  if (id != sectionId) return fail(out, E_FOOTER_ID, 1);
  return 5;
}

/**
 * A return-path message: its header, and the body of a fixed-length type (whole message returned);
 * of CONFIG and REPORT only the 4-byte header (the JSON body is the host's). out: type, len, value.
 */
export function readReturnPath(ptr: usize, avail: u32, out: usize): i32 {
  if (avail < 4) return needMore(out, 4, avail);
  const type = loadBe16(ptr);
  const length = loadBe16(ptr + 2);
  setOut(out, 1, type);
  setOut(out, 2, length);
  if (type == ReturnPathType.CONFIG || type == ReturnPathType.REPORT) return 4;
  const fixed = returnPathLength(type);
  if (fixed < 0) return fail(out, E_RP_UNKNOWN_TYPE, 0);
  if (length != <u32>fixed) return fail(out, E_RP_BAD_LENGTH, 2);
  const total: u32 = 4 + length;
  if (avail < total) return needMore(out, total, avail);
  setOut(out, 3, length == 4 ? loadBe32(ptr + 4) : 0);
  return <i32>total;
}

/**
 * The multifd hello, checked against our 16-byte `uuid` (0: none to compare, any is accepted) and a
 * channel id below `channels`. out: magic, version, channel id.
 */
export function readMultifdHello(ptr: usize, avail: u32, uuid: usize, channels: u32, out: usize): i32 {
  if (avail < MULTIFD_HELLO_BYTES) return needMore(out, MULTIFD_HELLO_BYTES, avail);
  const magic = loadBe32(ptr);
  const version = loadBe32(ptr + 4);
  const channelId = <u32>load<u8>(ptr + CHANNEL_ID_OFFSET);
  setOut(out, 1, magic);
  setOut(out, 2, version);
  setOut(out, 3, channelId);
  if (magic != MULTIFD_MAGIC) return fail(out, E_HELLO_MAGIC, 0);
  if (version != MULTIFD_VERSION) return fail(out, E_HELLO_VERSION, 4);
  if (uuid != 0 && memory.compare(ptr + UUID_OFFSET, uuid, UUID_BYTES) != 0) return fail(out, E_HELLO_UUID, UUID_OFFSET);
  if (channelId >= channels) return fail(out, E_HELLO_CHANNEL_ID, CHANNEL_ID_OFFSET);
  return MULTIFD_HELLO_BYTES;
}
