// Streams built with the encoders, shared by the decoder and inspect tests.
import {
  encodeCommand, encodeConfigState, encodeConfiguration, encodeDataStateHeader, encodeDeviceStatePacket, encodeEof,
  encodeFileHeader, encodeMarker, encodeMultifdConfigData, encodeMultifdHello, encodePing, encodeSectionFooter,
  encodeSectionPart, encodeSectionStart, encodeVmDescription, MainCommand, SectionType, VfioMarker, type ChecksumOption,
} from "../../src/codec/index.js";
import { concat, seededBytes } from "./helpers.js";

export const IDSTR = "0000:00:04.0/vfio";

/** A main channel of one VFIO device through setup, two pre-copy iterations, switchover, completion and config. */
export function mainStreamFixture() {
  const precopy = seededBytes(1000, 1);
  const complete = [seededBytes(300, 2), seededBytes(200, 3)];
  const config = seededBytes(64, 4);
  const parts: Uint8Array[] = [
    encodeFileHeader(),
    encodeConfiguration({ channels: 2 }),
    encodeSectionStart({ type: SectionType.START, sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1 }),
    encodeMarker(VfioMarker.DEV_SETUP_STATE),
    encodeMarker(VfioMarker.END_OF_STATE),
    encodeSectionFooter(1),
    encodeCommand(MainCommand.OPEN_RETURN_PATH),
    encodeSectionPart(SectionType.PART, 1),
    encodeDataStateHeader(precopy.length),
    precopy,
    encodeMarker(VfioMarker.END_OF_STATE),
    encodeSectionFooter(1),
    encodeSectionPart(SectionType.PART, 1),
    encodeDataStateHeader(0),
    encodeMarker(VfioMarker.DEV_INIT_DATA_SENT),
    encodeSectionFooter(1),
    encodePing(5),
    encodeCommand(MainCommand.SWITCHOVER_START),
    encodeSectionPart(SectionType.END, 1),
    encodeDataStateHeader(complete[0].length),
    complete[0],
    encodeDataStateHeader(complete[1].length),
    complete[1],
    encodeMarker(VfioMarker.END_OF_STATE),
    encodeSectionFooter(1),
    encodeSectionStart({ type: SectionType.FULL, sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1 }),
    encodeConfigState(config),
    encodeSectionFooter(1),
    encodeEof(),
    encodeVmDescription({ devices: [IDSTR] }),
  ];
  return { bytes: concat(...parts), precopy, complete, config };
}

/** A multifd channel carrying the spec's worked example scaled down: data packets, then the config packet. */
export function multifdStreamFixture(options: { chunks?: number; chunkBytes?: number; checksum?: ChecksumOption; channelId?: number } = {}) {
  const { chunks = 3, chunkBytes = 4096, checksum = false, channelId = 0 } = options;
  const data = Array.from({ length: chunks }, (_, i) => seededBytes(chunkBytes, 100 + i));
  const blob = seededBytes(64, 9);
  const packets = [
    ...data.map((d, idx) => encodeDeviceStatePacket({ idstr: IDSTR, instanceId: 0, idx, flags: 0, data: d, checksum })),
    encodeDeviceStatePacket({ idstr: IDSTR, instanceId: 0, idx: chunks, flags: 1, data: encodeMultifdConfigData(blob), checksum }),
  ];
  return { bytes: concat(encodeMultifdHello({ channelId }), ...packets), packets, data, blob };
}
