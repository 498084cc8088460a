import { describe, expect, it } from "vitest";
import {
  encodeCommand, encodeConfigState, encodeConfiguration, encodeDataStateHeader, encodeEof, encodeFileHeader, encodeMarker,
  encodePing, encodeSectionFooter, encodeSectionPart, encodeSectionStart, encodeVmDescription, MainCommand, SectionType,
  VfioMarker, writeDataStateHeader, writeSectionStart,
} from "../../src/codec/index.js";
import { caught, hex, toHex } from "./helpers.js";

const IDSTR = "0000:00:04.0/vfio";
const IDSTR_HEX = toHex(new TextEncoder().encode(IDSTR));

describe("main-channel encoders, byte for byte", () => {
  it("stream header: QEVM, version 3", () => {
    expect(toHex(encodeFileHeader())).toBe("51 45 56 4d 00 00 00 03");
  });

  it("SWITCHOVER_START is 08 00 0b 00 00", () => {
    expect(toHex(encodeCommand(MainCommand.SWITCHOVER_START))).toBe("08 00 0b 00 00");
  });

  it("OPEN_RETURN_PATH and PING with its be32 value", () => {
    expect(toHex(encodeCommand(MainCommand.OPEN_RETURN_PATH))).toBe("08 00 01 00 00");
    expect(toHex(encodePing(0x01020304))).toBe("08 00 02 00 04 01 02 03 04");
  });

  it("START and FULL headers of a VFIO device", () => {
    const start = encodeSectionStart({ type: SectionType.START, sectionId: 2, idstr: IDSTR, instanceId: 0, version: 1 });
    expect(toHex(start)).toBe(`01 00 00 00 02 11 ${IDSTR_HEX} 00 00 00 00 00 00 00 01`);
    const full = encodeSectionStart({ type: SectionType.FULL, sectionId: 0x01020304, idstr: IDSTR, instanceId: 5, version: 1 });
    expect(toHex(full)).toBe(`04 01 02 03 04 11 ${IDSTR_HEX} 00 00 00 05 00 00 00 01`);
  });

  it("PART, END and footer", () => {
    expect(toHex(encodeSectionPart(SectionType.PART, 2))).toBe("02 00 00 00 02");
    expect(toHex(encodeSectionPart(SectionType.END, 2))).toBe("03 00 00 00 02");
    expect(toHex(encodeSectionFooter(2))).toBe("7e 00 00 00 02");
  });

  it("EOF and the VFIO markers", () => {
    expect(toHex(encodeEof())).toBe("00");
    expect(toHex(encodeMarker(VfioMarker.END_OF_STATE))).toBe("ff ff ff ff ef 10 00 01");
    expect(toHex(encodeMarker(VfioMarker.DEV_CONFIG_LOAD_READY))).toBe("ff ff ff ff ef 10 00 06");
  });

  it("DEV_DATA_STATE header: marker then be64 n", () => {
    expect(toHex(encodeDataStateHeader(0x100000))).toBe("ff ff ff ff ef 10 00 04 00 00 00 00 00 10 00 00");
  });

  it("writes in place at an offset and returns the offset after", () => {
    const target = new Uint8Array(64).fill(0xaa);
    expect(writeDataStateHeader(target, 3, 7)).toBe(19);
    expect(toHex(target.subarray(0, 20))).toBe("aa aa aa ff ff ff ff ef 10 00 04 00 00 00 00 00 00 00 07 aa");
    const section = { type: SectionType.START, sectionId: 1, idstr: "a", instanceId: 0, version: 1 } as const;
    expect(writeSectionStart(target, 30, section)).toBe(30 + 15);
  });

  it("config blob, length-delimited (our deviation)", () => {
    expect(toHex(encodeConfigState(hex("aa bb")))).toBe("ff ff ff ff ef 10 00 02 00 00 00 00 00 00 00 02 aa bb ff ff ff ff ef 10 00 01");
  });

  it("CONFIGURATION and VM description: type, be32 length, UTF-8 JSON", () => {
    expect(toHex(encodeConfiguration({ a: 1 }))).toBe("07 00 00 00 07 7b 22 61 22 3a 31 7d");
    expect(toHex(encodeVmDescription([]))).toBe("06 00 00 00 02 5b 5d");
  });

  it("refuses what does not fit, with ERR_WIRE_ENCODE", () => {
    expect(caught(() => encodeConfiguration("x".repeat(70_000))).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => encodeSectionStart({ type: SectionType.START, sectionId: 1, idstr: "x".repeat(256), instanceId: 0, version: 1 })).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => encodeSectionPart(SectionType.PART, -1)).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => encodeCommand(MainCommand.PACKAGED)).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => encodeCommand(MainCommand.PING, new Uint8Array(3))).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => encodeConfiguration(undefined)).code).toBe("ERR_WIRE_ENCODE");
  });
});
