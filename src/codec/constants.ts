// Wire constants of QEMU's migration formats (shared/spec/qemu-wire.md) and our negotiated extensions.
// Every one that the WASM core also uses is mirrored in assembly/wire.ts; a test checks they agree.

/** `QEMU_VM_FILE_MAGIC`: "QEVM", the first be32 of a main channel. */
export const QEMU_VM_FILE_MAGIC = 0x5145564d;
/** `QEMU_VM_FILE_VERSION`. */
export const QEMU_VM_FILE_VERSION = 3;
/** Stream header: be32 magic, be32 version. */
export const FILE_HEADER_BYTES = 8;

/** Section type bytes of the main channel (savevm.h `QEMU_VM_*`). */
export enum SectionType {
  EOF = 0x00,
  START = 0x01,
  PART = 0x02,
  END = 0x03,
  FULL = 0x04,
  SUBSECTION = 0x05,
  VMDESCRIPTION = 0x06,
  /** QEMU: machine name; ours: the setup JSON (an extension, see docs/wire-format.md). */
  CONFIGURATION = 0x07,
  COMMAND = 0x08,
  FOOTER = 0x7e,
}

/** `enum qemu_vm_cmd`: `u8 0x08 | be16 cmd | be16 len | len bytes`. */
export enum MainCommand {
  INVALID = 0,
  OPEN_RETURN_PATH = 1,
  /** len 4: be32 value, answered by PONG. */
  PING = 2,
  POSTCOPY_ADVISE = 3,
  POSTCOPY_LISTEN = 4,
  POSTCOPY_RUN = 5,
  POSTCOPY_RAM_DISCARD = 6,
  PACKAGED = 7,
  ENABLE_COLO = 8,
  POSTCOPY_RESUME = 9,
  RECV_BITMAP = 10,
  /** len 0: bytes `08 00 0b 00 00`. */
  SWITCHOVER_START = 11,
  /** Ours, outside QEMU's range, only right after EOF, len 0: bytes `08 01 00 00 00` (docs/wire-format.md 5.5). */
  COMMIT = 0x0100,
}

/** Payload lengths of the commands we speak; every other command is refused (postcopy, COLO: out of scope). */
export const COMMAND_LENGTHS: ReadonlyMap<MainCommand, number> = new Map([
  [MainCommand.OPEN_RETURN_PATH, 0],
  [MainCommand.PING, 4],
  [MainCommand.SWITCHOVER_START, 0],
  [MainCommand.COMMIT, 0],
]);
/** `MIG_CMD_MAX`: commands at or above it are unknown to QEMU too. */
export const MAIN_COMMAND_MAX = 12;

/** VFIO's be64 flags (`VFIO_MIG_FLAG_*`): 0xffffffff | 0xef10 | flag. (TypeScript enums cannot hold bigints.) */
export const VfioMarker = {
  END_OF_STATE: 0xffffffffef100001n,
  DEV_CONFIG_STATE: 0xffffffffef100002n,
  DEV_SETUP_STATE: 0xffffffffef100003n,
  DEV_DATA_STATE: 0xffffffffef100004n,
  DEV_INIT_DATA_SENT: 0xffffffffef100005n,
  DEV_CONFIG_LOAD_READY: 0xffffffffef100006n,
} as const;
export type VfioMarker = (typeof VfioMarker)[keyof typeof VfioMarker];
export type VfioMarkerName = keyof typeof VfioMarker;
/** Marker value to name; a value missing here is an unknown tag. */
export const VFIO_MARKER_NAMES: ReadonlyMap<bigint, VfioMarkerName> = new Map(
  (Object.keys(VfioMarker) as VfioMarkerName[]).map((name) => [VfioMarker[name], name]),
);
/** Bytes of a marker, and of the `be64 n` after DEV_DATA_STATE. */
export const MARKER_BYTES = 8;

/** Return-path message types (`enum mig_rp_message_type`), plus ours above QEMU's range. */
export enum ReturnPathType {
  INVALID = 0,
  /** len 4: be32 0 ok, 1 failed. */
  SHUT = 1,
  /** len 4. */
  PONG = 2,
  /** len 4. */
  RESUME_ACK = 6,
  /** len 0: bytes `00 07 00 00`. */
  SWITCHOVER_ACK = 7,
  /** Ours: the destination's setup reply, UTF-8 JSON. */
  CONFIG = 0x0100,
  /** Ours: the destination's figures (e.g. when its VM started), UTF-8 JSON. */
  REPORT = 0x0101,
}
/** `be16 type | be16 len`. */
export const RETURN_PATH_HEADER_BYTES = 4;

/** `MULTIFD_MAGIC`: the first be32 of a multifd channel and of every packet. */
export const MULTIFD_MAGIC = 0x11223344;
export const MULTIFD_VERSION = 1;
/** `MultiFDInit_t`. */
export const MULTIFD_HELLO_BYTES = 64;
export const MULTIFD_UUID_BYTES = 16;

/** `MultiFDPacketHdr_t` flag bits. */
export enum MultifdFlag {
  SYNC = 0x01,
  COMPRESSION_MASK = 0x3e,
  DEVICE_STATE = 0x40,
  /** Ours, negotiated: a be32 CRC32C of the payload follows it, outside next_packet_size. */
  CHECKSUM = 0x80,
}
/** `MultiFDPacketHdr_t`: be32 magic, be32 version, be32 flags. */
export const MULTIFD_HEADER_BYTES = 12;
/** `MultiFDPacketDeviceState_t`: header, idstr[256], be32 instance_id, be32 next_packet_size. */
export const DEVICE_STATE_HEADER_BYTES = 276;
export const DEVICE_STATE_IDSTR_OFFSET = 12;
export const DEVICE_STATE_IDSTR_BYTES = 256;
export const DEVICE_STATE_INSTANCE_OFFSET = 268;
export const DEVICE_STATE_SIZE_OFFSET = 272;

/** The VFIO device-state packet header: be32 version (0), be32 idx, be32 flags. */
export const VFIO_HEADER_BYTES = 12;
export const VFIO_PACKET_VERSION = 0;
/** `VFIO_DEVICE_STATE_CONFIG_STATE`: the device's last packet, carrying its config. */
export const VFIO_CONFIG_FLAG = 1;
/** An idx no packet may carry (`UINT32_MAX`: QEMU's "no config index yet"). */
export const VFIO_INVALID_IDX = 0xffffffff;
/** Where device data starts in a framed packet: the engine reads device bytes to slot + this. */
export const DEVICE_STATE_DATA_OFFSET = DEVICE_STATE_HEADER_BYTES + VFIO_HEADER_BYTES;
/** The optional CRC32C trailer (our extension). */
export const CHECKSUM_BYTES = 4;

/** Our bound on the CONFIGURATION section's JSON. */
export const MAX_CONFIGURATION_BYTES = 64 * 1024;
/** Default bound on one packet's payload or one main-channel chunk (QEMU has none; 16x its 1 MiB chunk). */
export const DEFAULT_MAX_PACKET_BYTES = 16 * 1024 * 1024;
/** Our bound on the VM description trailer's JSON. */
export const MAX_VM_DESCRIPTION_BYTES = 1024 * 1024;
