// Wire constants mirrored from src/codec/constants.ts (a test checks both agree) and the in-place
// framing of multifd device-state packets, the sender's hot path.
import { CHECKSUM_NONE, writeTrailer } from "./checksum";

export const QEMU_VM_FILE_MAGIC: u32 = 0x5145564d;
export const QEMU_VM_FILE_VERSION: u32 = 3;
export const MULTIFD_MAGIC: u32 = 0x11223344;
export const MULTIFD_VERSION: u32 = 1;
export const MULTIFD_HELLO_BYTES: u32 = 64;
export const FLAG_SYNC: u32 = 0x01;
export const FLAG_COMPRESSION_MASK: u32 = 0x3e;
export const FLAG_DEVICE_STATE: u32 = 0x40;
/** Ours, negotiated: the payload's checksum trailer (assembly/checksum.ts) follows it, outside next_packet_size. */
export const FLAG_CHECKSUM: u32 = 0x80;
export const MULTIFD_HEADER_BYTES: u32 = 12;
export const DEVICE_STATE_HEADER_BYTES: u32 = 276;
export const IDSTR_OFFSET: u32 = 12;
export const IDSTR_BYTES: u32 = 256;
export const INSTANCE_OFFSET: u32 = 268;
export const SIZE_OFFSET: u32 = 272;
export const VFIO_HEADER_BYTES: u32 = 12;
export const VFIO_PACKET_VERSION: u32 = 0;
export const VFIO_CONFIG_FLAG: u32 = 1;
export const VFIO_INVALID_IDX: u32 = 0xffffffff;
export const CHECKSUM_BYTES: u32 = 4;
export const VFIO_MARKER_BASE: u64 = 0xffffffffef100000;

// Enums of the main channel and return path: not used by the WASM code, mirrored so one table of
// values is checked against the TypeScript side.
export enum SectionType { EOF = 0x00, START = 0x01, PART = 0x02, END = 0x03, FULL = 0x04, SUBSECTION = 0x05, VMDESCRIPTION = 0x06, CONFIGURATION = 0x07, COMMAND = 0x08, FOOTER = 0x7e }
export enum MainCommand { OPEN_RETURN_PATH = 1, PING = 2, PACKAGED = 7, SWITCHOVER_START = 11 }
export enum ReturnPathType { SHUT = 1, PONG = 2, RESUME_ACK = 6, SWITCHOVER_ACK = 7, CONFIG = 0x0100, REPORT = 0x0101 }
export enum VfioMarkerFlag { END_OF_STATE = 1, DEV_CONFIG_STATE = 2, DEV_SETUP_STATE = 3, DEV_DATA_STATE = 4, DEV_INIT_DATA_SENT = 5, DEV_CONFIG_LOAD_READY = 6 }

/** The value of constant number `which` in the order of src/codec/wasm/constants.ts (0 past the end). */
export function wireConstant(which: u32): u64 {
  switch (which) {
    case 0: return QEMU_VM_FILE_MAGIC;
    case 1: return QEMU_VM_FILE_VERSION;
    case 2: return MULTIFD_MAGIC;
    case 3: return MULTIFD_VERSION;
    case 4: return MULTIFD_HELLO_BYTES;
    case 5: return FLAG_SYNC;
    case 6: return FLAG_COMPRESSION_MASK;
    case 7: return FLAG_DEVICE_STATE;
    case 8: return FLAG_CHECKSUM;
    case 9: return MULTIFD_HEADER_BYTES;
    case 10: return DEVICE_STATE_HEADER_BYTES;
    case 11: return IDSTR_OFFSET;
    case 12: return IDSTR_BYTES;
    case 13: return INSTANCE_OFFSET;
    case 14: return SIZE_OFFSET;
    case 15: return VFIO_HEADER_BYTES;
    case 16: return VFIO_PACKET_VERSION;
    case 17: return VFIO_CONFIG_FLAG;
    case 18: return VFIO_INVALID_IDX;
    case 19: return CHECKSUM_BYTES;
    case 20: return VFIO_MARKER_BASE | VfioMarkerFlag.END_OF_STATE;
    case 21: return VFIO_MARKER_BASE | VfioMarkerFlag.DEV_CONFIG_STATE;
    case 22: return VFIO_MARKER_BASE | VfioMarkerFlag.DEV_SETUP_STATE;
    case 23: return VFIO_MARKER_BASE | VfioMarkerFlag.DEV_DATA_STATE;
    case 24: return VFIO_MARKER_BASE | VfioMarkerFlag.DEV_INIT_DATA_SENT;
    case 25: return VFIO_MARKER_BASE | VfioMarkerFlag.DEV_CONFIG_LOAD_READY;
    case 26: return SectionType.EOF;
    case 27: return SectionType.START;
    case 28: return SectionType.PART;
    case 29: return SectionType.END;
    case 30: return SectionType.FULL;
    case 31: return SectionType.SUBSECTION;
    case 32: return SectionType.VMDESCRIPTION;
    case 33: return SectionType.CONFIGURATION;
    case 34: return SectionType.COMMAND;
    case 35: return SectionType.FOOTER;
    case 36: return MainCommand.OPEN_RETURN_PATH;
    case 37: return MainCommand.PING;
    case 38: return MainCommand.PACKAGED;
    case 39: return MainCommand.SWITCHOVER_START;
    case 40: return ReturnPathType.SHUT;
    case 41: return ReturnPathType.PONG;
    case 42: return ReturnPathType.RESUME_ACK;
    case 43: return ReturnPathType.SWITCHOVER_ACK;
    case 44: return ReturnPathType.CONFIG;
    case 45: return ReturnPathType.REPORT;
    default: return 0;
  }
}

@inline export function loadBe32(ptr: usize): u32 {
  return bswap<u32>(load<u32>(ptr));
}

@inline export function storeBe32(ptr: usize, value: u32): void {
  store<u32>(ptr, bswap<u32>(value));
}

/**
 * Frames one device-state packet in place. The caller has put `idstrLen` (< 256) idstr bytes at
 * slot + 12 and `dataLen` device bytes at slot + 288; this writes the multifd header, zero-pads the
 * idstr, writes instance_id, next_packet_size (12 + dataLen) and the VFIO header, and with `checksum`
 * (an algorithm of assembly/checksum.ts; 0 = off) the payload's trailer after it. Returns the
 * packet's bytes on the wire.
 */
export function frameDeviceState(slot: usize, idstrLen: u32, instanceId: u32, idx: u32, vfioFlags: u32, dataLen: u32, checksum: u32): u32 {
  const payloadLen = VFIO_HEADER_BYTES + dataLen;
  storeBe32(slot, MULTIFD_MAGIC);
  storeBe32(slot + 4, MULTIFD_VERSION);
  storeBe32(slot + 8, checksum != CHECKSUM_NONE ? FLAG_DEVICE_STATE | FLAG_CHECKSUM : FLAG_DEVICE_STATE);
  memory.fill(slot + IDSTR_OFFSET + idstrLen, 0, IDSTR_BYTES - idstrLen);
  storeBe32(slot + INSTANCE_OFFSET, instanceId);
  storeBe32(slot + SIZE_OFFSET, payloadLen);
  const payload = slot + DEVICE_STATE_HEADER_BYTES;
  storeBe32(payload, VFIO_PACKET_VERSION);
  storeBe32(payload + 4, idx);
  storeBe32(payload + 8, vfioFlags);
  return DEVICE_STATE_HEADER_BYTES + payloadLen + writeTrailer(checksum, payload, payloadLen);
}
