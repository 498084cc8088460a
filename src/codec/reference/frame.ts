// Pure-TypeScript reference of assembly/wire.ts frameDeviceState: the test oracle and bench baseline.
import type { ChecksumOption } from "../checksum.js";
import { DEVICE_STATE_HEADER_BYTES, DEVICE_STATE_IDSTR_BYTES, DEVICE_STATE_IDSTR_OFFSET, MULTIFD_MAGIC, MULTIFD_VERSION, MultifdFlag, VFIO_HEADER_BYTES, VFIO_PACKET_VERSION } from "../constants.js";
import { writeTrailerReference } from "./checksum.js";

/** Same contract as the WASM function, over `bytes` with `slot` an offset into it. */
export function frameDeviceStateReference(bytes: Uint8Array, slot: number, idstrLen: number, instanceId: number, idx: number, vfioFlags: number, dataLen: number, checksum: ChecksumOption): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloadLen = VFIO_HEADER_BYTES + dataLen;
  view.setUint32(slot, MULTIFD_MAGIC);
  view.setUint32(slot + 4, MULTIFD_VERSION);
  view.setUint32(slot + 8, checksum && checksum !== "none" ? MultifdFlag.DEVICE_STATE | MultifdFlag.CHECKSUM : MultifdFlag.DEVICE_STATE);
  bytes.fill(0, slot + DEVICE_STATE_IDSTR_OFFSET + idstrLen, slot + DEVICE_STATE_IDSTR_OFFSET + DEVICE_STATE_IDSTR_BYTES);
  view.setUint32(slot + 268, instanceId);
  view.setUint32(slot + 272, payloadLen);
  const payload = slot + DEVICE_STATE_HEADER_BYTES;
  view.setUint32(payload, VFIO_PACKET_VERSION);
  view.setUint32(payload + 4, idx);
  view.setUint32(payload + 8, vfioFlags);
  return DEVICE_STATE_HEADER_BYTES + payloadLen + writeTrailerReference(checksum, view, payload, payload + payloadLen);
}
