// Multifd channels: the 64-byte hello, in-place framing of device-state packets in WASM memory, and
// the config packet's data. Receiving packets is the scanner's job (scan.ts).
import { checkField, dataView, U32_MAX, U8_MAX } from "./bytes.js";
import {
  DEVICE_STATE_DATA_OFFSET, DEVICE_STATE_IDSTR_BYTES, DEVICE_STATE_IDSTR_OFFSET,
  MARKER_BYTES, MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, MULTIFD_UUID_BYTES, MULTIFD_VERSION, VFIO_HEADER_BYTES, VFIO_INVALID_IDX,
  VfioMarker,
} from "./constants.js";
import { checksumAlgorithm, checksumCode, checksumTrailerBytes, type ChecksumOption } from "./checksum.js";
import { WireEncodeError, WireFormatError } from "./errors.js";
import { createInstance, currentFlavor, type CodecInstance } from "./wasm/load.js";
import { HEADER_ERROR_CODES, HeaderError, readBytes } from "./wire-wasm.js";

export interface MultifdHello {
  /** 16 raw bytes; QEMU's default is all zero. */
  uuid: Uint8Array;
  channelId: number;
}

const ZERO_UUID = new Uint8Array(MULTIFD_UUID_BYTES);

/** `be32 0x11223344 | be32 1 | uuid[16] | u8 id | 7 + 32 zero bytes`. */
export function encodeMultifdHello(hello: { uuid?: Uint8Array; channelId: number }): Uint8Array {
  const uuid = hello.uuid ?? ZERO_UUID;
  if (uuid.length !== MULTIFD_UUID_BYTES) throw new WireEncodeError("ERR_WIRE_ENCODE", `uuid must be ${MULTIFD_UUID_BYTES} bytes, got ${uuid.length}`);
  const channelId = checkField(hello.channelId, U8_MAX, "channel id");
  const out = new Uint8Array(MULTIFD_HELLO_BYTES);
  const view = dataView(out);
  view.setUint32(0, MULTIFD_MAGIC);
  view.setUint32(4, MULTIFD_VERSION);
  out.set(uuid, 8);
  out[8 + MULTIFD_UUID_BYTES] = channelId;
  return out;
}

export interface HelloExpectations {
  /** The receiver's own uuid, which the hello must carry; unset, any uuid is accepted and reported. */
  uuid?: Uint8Array;
  /** Number of multifd channels: a channel id must be below it. */
  channels?: number;
  /** Channel name for errors. */
  subject?: string;
}

/** A channel id is a byte: any bound over 255 (or none) lets every id through. */
const NO_CHANNEL_BOUND = 256;

function channelBound(channels: number | undefined): number {
  if (channels === undefined || Number.isNaN(channels)) return NO_CHANNEL_BOUND;
  return Math.max(0, Math.min(NO_CHANNEL_BOUND, Math.ceil(channels)));
}

/**
 * Decodes and checks a hello (64 bytes at `offset` of `bytes`) in the WASM core: magic, version,
 * uuid, channel id. QEMU refuses `id > channels`, letting id == channels through; we refuse `id >= channels`.
 */
export function decodeMultifdHello(bytes: Uint8Array, expect: HelloExpectations = {}, offset = 0): MultifdHello {
  if (bytes.length - offset < MULTIFD_HELLO_BYTES) {
    throw new WireFormatError("ERR_WIRE_TRUNCATED", `multifd hello needs ${MULTIFD_HELLO_BYTES} bytes, got ${bytes.length - offset}`, bytes.length, expect.subject);
  }
  // Without a uuid to compare (a tool reading a capture), any uuid is accepted and reported.
  const ownUuid = expect.uuid;
  if (ownUuid && ownUuid.length !== MULTIFD_UUID_BYTES) throw new WireEncodeError("ERR_WIRE_ENCODE", `uuid must be ${MULTIFD_UUID_BYTES} bytes, got ${ownUuid.length}`);
  const bound = channelBound(expect.channels);
  let out: Uint32Array | undefined;
  const result = readBytes(bytes, offset, MULTIFD_HELLO_BYTES, (wasm, avail) => {
    if (ownUuid) wasm.bytes.set(ownUuid, wasm.uuid);
    out = wasm.out;
    return wasm.exports.readMultifdHello(wasm.at, avail, ownUuid ? wasm.uuid : 0, bound, wasm.outPtr);
  });
  const [at, magic, version, channelId] = out!;
  if (result < 0) {
    const error = -result as HeaderError;
    const message =
      error === HeaderError.HELLO_MAGIC
        ? `multifd hello magic 0x${magic.toString(16)}, expected 0x11223344`
        : error === HeaderError.HELLO_VERSION
          ? `multifd version ${version}, expected ${MULTIFD_VERSION}`
          : error === HeaderError.HELLO_UUID
            ? "multifd hello uuid does not match ours"
            : `multifd channel id ${channelId}, expected below ${expect.channels}`;
    throw new WireFormatError(HEADER_ERROR_CODES[error], message, offset + at, expect.subject);
  }
  return { uuid: bytes.slice(offset + 8, offset + 8 + MULTIFD_UUID_BYTES), channelId };
}

export interface DeviceStatePacketFields {
  idstr: string;
  instanceId: number;
  idx: number;
  /** VFIO flags: 1 (VFIO_CONFIG_FLAG) for the config packet. */
  flags: number;
  /** Device bytes already at slot + 288. */
  dataLength: number;
  /** Our CHECKSUM extension (negotiated): flag 0x80 and the algorithm's trailer after the payload (`true`: CRC32C). */
  checksum: ChecksumOption;
}

const utf8Encoder = new TextEncoder();

/** Bytes a packet of `dataLength` device bytes takes on the wire (276 + 12 + data [+ 4 or 8 of trailer]). */
export function deviceStatePacketBytes(dataLength: number, checksum: ChecksumOption): number {
  return DEVICE_STATE_DATA_OFFSET + dataLength + checksumTrailerBytes(checksumAlgorithm(checksum));
}

/**
 * Frames a device-state packet in place in `instance`'s memory: the device data lies at
 * slot + 288 (DEVICE_STATE_DATA_OFFSET); this writes the 276-byte header and the 12-byte VFIO header
 * in front of it (and the checksum trailer after it). Returns the packet's wire bytes, from `slot`.
 */
export function frameDeviceStatePacket(instance: CodecInstance, slot: number, fields: DeviceStatePacketFields): number {
  checkField(fields.instanceId, U32_MAX, "instance id");
  checkField(fields.flags, U32_MAX, "VFIO flags");
  if (checkField(fields.idx, U32_MAX, "idx") === VFIO_INVALID_IDX) throw new WireEncodeError("ERR_WIRE_ENCODE", "idx 0xffffffff is reserved");
  checkField(fields.dataLength, U32_MAX - VFIO_HEADER_BYTES, "data length");
  if (slot < instance.heapBase || slot + deviceStatePacketBytes(fields.dataLength, fields.checksum) > instance.byteLength) {
    throw new WireEncodeError("ERR_WIRE_ENCODE", `packet at ${slot} does not fit the instance's host memory`);
  }
  const idstrField = instance.bytes.subarray(slot + DEVICE_STATE_IDSTR_OFFSET, slot + DEVICE_STATE_IDSTR_OFFSET + DEVICE_STATE_IDSTR_BYTES);
  const { read, written } = utf8Encoder.encodeInto(fields.idstr, idstrField.subarray(0, DEVICE_STATE_IDSTR_BYTES - 1));
  if (read !== fields.idstr.length) throw new WireEncodeError("ERR_WIRE_ENCODE", `idstr '${fields.idstr}' is over 255 bytes`);
  return instance.exports.frameDeviceState(slot, written, fields.instanceId, fields.idx, fields.flags, fields.dataLength, checksumCode(checksumAlgorithm(fields.checksum))) >>> 0;
}

let stagingInstance: CodecInstance | undefined;

/** A whole device-state packet as fresh bytes (tests, tools); the engine frames in place instead. */
export function encodeDeviceStatePacket(fields: Omit<DeviceStatePacketFields, "dataLength"> & { data: Uint8Array }): Uint8Array {
  const wireBytes = deviceStatePacketBytes(fields.data.length, fields.checksum);
  if (!stagingInstance || stagingInstance.flavor !== currentFlavor() || stagingInstance.byteLength - stagingInstance.heapBase < wireBytes) {
    stagingInstance = createInstance(wireBytes);
  }
  const slot = stagingInstance.heapBase;
  stagingInstance.bytes.set(fields.data, slot + DEVICE_STATE_DATA_OFFSET);
  const length = frameDeviceStatePacket(stagingInstance, slot, { ...fields, dataLength: fields.data.length });
  return stagingInstance.bytes.slice(slot, slot + length);
}

/** The data of a device's config packet: `be64 DEV_CONFIG_STATE | blob | be64 END_OF_STATE`. */
export function encodeMultifdConfigData(blob: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 * MARKER_BYTES + blob.length);
  const view = dataView(out);
  view.setBigUint64(0, VfioMarker.DEV_CONFIG_STATE);
  out.set(blob, MARKER_BYTES);
  view.setBigUint64(MARKER_BYTES + blob.length, VfioMarker.END_OF_STATE);
  return out;
}

/** The blob inside a config packet's data, checked as QEMU's load thread checks it. */
export function decodeMultifdConfigData(data: Uint8Array, subject?: string): Uint8Array {
  if (data.length < 2 * MARKER_BYTES) {
    throw new WireFormatError("ERR_MULTIFD_BAD_CONFIG", `config packet data of ${data.length} bytes is shorter than its two markers`, 0, subject);
  }
  const view = dataView(data);
  if (view.getBigUint64(0) !== VfioMarker.DEV_CONFIG_STATE) {
    throw new WireFormatError("ERR_MULTIFD_BAD_CONFIG", "expected FLAG_DEV_CONFIG_STATE at the start of the config packet", 0, subject);
  }
  const end = data.length - MARKER_BYTES;
  if (view.getBigUint64(end) !== VfioMarker.END_OF_STATE) {
    throw new WireFormatError("ERR_MULTIFD_BAD_CONFIG", "config packet does not end with END_OF_STATE", end, subject);
  }
  return data.subarray(MARKER_BYTES, end);
}

