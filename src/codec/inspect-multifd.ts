// What `inspect` lists for a multifd channel's packets: device-state packets as they always were, and
// QEMU's RAM packets as `{ram: {...}}` with the fields the packet's QEMU version has.
import { crc32c } from "./crc32c.js";
import { VFIO_CONFIG_FLAG } from "./constants.js";
import type { MultifdRecord } from "./decode-multifd.js";
import { WireEncodeError } from "./errors.js";
import type { MultifdRamLayout } from "./multifd-ram.js";

export interface InspectPacket {
  idstr: string;
  instanceId: number;
  idx: number;
  config: boolean;
  /** Data bytes after the 12-byte VFIO header. */
  length: number;
  /** Unsigned CRC32C of those bytes. */
  crc32c: number;
}

export interface InspectRamPacket {
  ram: {
    /** Absent when the packet carries no page. */
    block?: string;
    normalPages: number;
    /** QEMU 9.0 and later only. */
    zeroPages?: number;
    packetNum: number;
    sync: boolean;
    compression: string;
  };
}

/** The RAM packet layout of a QEMU version ("7.2", "9.0", "10.1"): zero_pages came with 9.0. Unset: the newest. */
export function multifdRamLayout(qemuVersion?: string): MultifdRamLayout {
  if (qemuVersion === undefined) return { zeroPagesField: true };
  const m = /^(\d+)\.(\d+)/.exec(qemuVersion);
  if (!m) throw new WireEncodeError("ERR_WIRE_ENCODE", `QEMU version "${qemuVersion}" is not MAJOR.MINOR`);
  return { zeroPagesField: Number(m[1]) >= 9 };
}

/** The listing of one packet record (the hello is not one). */
export function inspectMultifdPacket(record: Exclude<MultifdRecord, { type: "hello" }>): InspectPacket | InspectRamPacket {
  if (record.type === "ram") {
    const { block, normalPages, zeroPages, packetNum, sync, compression } = record;
    return { ram: { ...(block === undefined ? {} : { block }), normalPages, ...(zeroPages === undefined ? {} : { zeroPages }), packetNum, sync, compression } };
  }
  const { idstr, instanceId, idx, flags, data } = record;
  return { idstr, instanceId, idx, config: (flags & VFIO_CONFIG_FLAG) !== 0, length: data.length, crc32c: crc32c(data) };
}
