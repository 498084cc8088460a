/**
 * `vfio-migration/wire`: QEMU's wire formats byte for byte: the main stream's encoders, multifd packets and hellos, the return
 * path, the stream decoder, the packet scanner and reorder index, and the WASM core's instances.
 *
 * @module vfio-migration/wire
 */
export { init, createInstance, type CodecInstance, type InitOptions, type WasmFlavor } from "./wasm/load.js";
export type { CodecExports } from "./wasm/exports.js";
export { crc32c } from "./crc32c.js";
export { xxh3 } from "./xxh3.js";
export {
  type ChecksumAlgorithm, type ChecksumOption, CHECKSUM_ALGORITHMS, MAX_CHECKSUM_BYTES, checksumAlgorithm, checksumTrailerBytes, checksumOf,
  writeChecksumTrailer,
} from "./checksum.js";
export * from "./constants.js";
export { WireFormatError, WireEncodeError, ReorderError, isWireFormatError } from "./errors.js";
export {
  writeFileHeader, encodeFileHeader, encodeConfiguration, encodeVmDescription, type SectionStart, sectionStartBytes,
  writeSectionStart, encodeSectionStart, writeSectionPart, encodeSectionPart, writeSectionFooter, encodeSectionFooter,
  encodeCommand, encodePing, encodeEof, writeMarker, encodeMarker, DATA_STATE_HEADER_BYTES, writeDataStateHeader,
  encodeDataStateHeader, encodeConfigState,
} from "./main-encode.js";
export { type ReturnPathMessage, encodeReturnPath, MAX_RETURN_PATH_JSON_BYTES } from "./return-path.js";
export {
  type MultifdHello, type HelloExpectations, type DeviceStatePacketFields, encodeMultifdHello, decodeMultifdHello,
  deviceStatePacketBytes, frameDeviceStatePacket, encodeDeviceStatePacket, encodeMultifdConfigData, decodeMultifdConfigData,
} from "./multifd.js";
export {
  type ScannedPacket, type ScanSummary, type ScannerOptions, MultifdScanner, scanResultsBytes, packetIdstr, packetHeader, CheckAhead, CHECK_AHEAD_BYTES,
  SCAN_HEADER_BYTES, SCAN_RECORD_BYTES, MAX_SCAN_PAYLOAD_BYTES,
} from "./scan.js";
export { ReorderIndex, reorderStateBytes } from "./reorder.js";
export { StreamDecoder, type StreamKind, type StreamRecord, type StreamDecoderOptions, type NeedMore } from "./stream-decoder.js";
export type { MainRecord, MarkerName } from "./decode-main.js";
export type { MultifdRecord } from "./decode-multifd.js";
export type { ReturnPathRecord } from "./decode-return-path.js";
export { inspectStream, type Inspection, type InspectMainRecord, type InspectMarker, type InspectPacket } from "./inspect.js";
export {
  RECOVERY_MAGIC, RECOVERY_VERSION, RECOVERY_QUERY_BYTES, RECOVERY_ANSWER_BYTES, RecoveryOutcome, encodeRecoveryQuery, decodeRecoveryQuery,
  encodeRecoveryAnswer, decodeRecoveryAnswer,
} from "./recovery.js";
// The inspector's main-stream reader and the parts of its records (so their pages document every field).
export { inspectMainStream, inspectMainBatches, findVmDescription, type InspectMainOptions } from "./inspect-main.js";
export { StateBuilder, pythonJson } from "./inspect-state.js";
export type { SectionHead, QemuMainReaderOptions } from "./qemu-main.js";
export type { Configuration } from "./qemu-config.js";
export type { CommandData } from "./qemu-command.js";
export type { RamSummary, RamBlock, RamRecord } from "./qemu-ram.js";
export type { VmstateValue, VmDescription, VmsdDevice, VmsdStruct, VmsdField } from "./qemu-vmstate.js";
