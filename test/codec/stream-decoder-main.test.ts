import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  encodeCommand, encodeDataStateHeader, encodeEof, encodeFileHeader, encodeMarker, encodeSectionFooter, encodeSectionPart,
  encodeSectionStart, init, MainCommand, SectionType, StreamDecoder, VfioMarker, WireFormatError,
} from "../../src/codec/index.js";
import { IDSTR, mainStreamFixture } from "./fixtures.js";
import { caught, concat, hex } from "./helpers.js";

type Plain = Record<string, unknown>;

/** Bytes as hex: large byte arrays compare slowly with toEqual. */
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/** Decodes `pieces` pushed one by one, pulling after each; merges data pieces so any split compares equal. */
function decode(pieces: Uint8Array[], options: { maxPacketBytes?: number } = {}): Plain[] {
  const decoder = new StreamDecoder({ kind: "main", subject: "main", ...options });
  const out: Plain[] = [];
  for (const piece of pieces) {
    decoder.push(piece);
    for (const record of decoder.records()) {
      const last = out[out.length - 1];
      if (record.type === "data" && last?.type === "data") last.bytes += hexOf(record.bytes);
      else out.push({ ...record, ...("bytes" in record ? { bytes: hexOf(record.bytes) } : {}) });
    }
  }
  decoder.end();
  return out;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

const fixture = mainStreamFixture();
const strip = (records: Plain[]) => records.map(({ offset: _offset, ...rest }) => rest);

describe("StreamDecoder, main channel", () => {
  beforeAll(async () => {
    await init();
  });

  it("decodes every record of a complete stream", () => {
    const records = decode([fixture.bytes]);
    expect(strip(records)).toEqual([
      { type: "header", version: 3 },
      { type: "configuration", json: { channels: 2 } },
      { type: "start", sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1 },
      { type: "marker", marker: "DEV_SETUP_STATE" },
      { type: "marker", marker: "END_OF_STATE" },
      { type: "footer", sectionId: 1 },
      { type: "command", command: "OPEN_RETURN_PATH" },
      { type: "part", sectionId: 1 },
      { type: "marker", marker: "DEV_DATA_STATE", length: 1000 },
      { type: "data", bytes: hexOf(fixture.precopy) },
      { type: "marker", marker: "END_OF_STATE" },
      { type: "footer", sectionId: 1 },
      { type: "part", sectionId: 1 },
      { type: "marker", marker: "DEV_DATA_STATE", length: 0 },
      { type: "marker", marker: "DEV_INIT_DATA_SENT" },
      { type: "footer", sectionId: 1 },
      { type: "command", command: "PING", value: 5 },
      { type: "command", command: "SWITCHOVER_START" },
      { type: "end", sectionId: 1 },
      { type: "marker", marker: "DEV_DATA_STATE", length: 300 },
      { type: "data", bytes: hexOf(fixture.complete[0]) },
      { type: "marker", marker: "DEV_DATA_STATE", length: 200 },
      { type: "data", bytes: hexOf(fixture.complete[1]) },
      { type: "marker", marker: "END_OF_STATE" },
      { type: "footer", sectionId: 1 },
      { type: "full", sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1 },
      { type: "marker", marker: "DEV_CONFIG_STATE" },
      { type: "config", bytes: hexOf(fixture.config) },
      { type: "marker", marker: "END_OF_STATE" },
      { type: "footer", sectionId: 1 },
      { type: "eof" },
      { type: "vmdescription", json: { devices: [IDSTR] } },
    ]);
    expect(records.slice(0, 4).map((r) => r.offset)).toEqual([0, 8, 8 + 5 + 14, 27 + 6 + IDSTR.length + 8]);
    expect(records[records.length - 2].offset).toBe(fixture.bytes.length - 1 - 5 - JSON.stringify({ devices: [IDSTR] }).length);
  });

  it("gives the same records for the stream split at every point", () => {
    const whole = decode([fixture.bytes]);
    for (let cut = 0; cut <= fixture.bytes.length; cut++) {
      expect(decode(splitAt(fixture.bytes, [cut]))).toEqual(whole);
    }
  });

  it("delivers DEV_DATA_STATE bytes as they arrive, never buffering a chunk whole", () => {
    const decoder = new StreamDecoder({ kind: "main" });
    const dataStart = fixture.bytes.indexOf(fixture.precopy[0], 100);
    decoder.push(fixture.bytes.subarray(0, dataStart + 10));
    const records = [...decoder.records()];
    expect(records[records.length - 1]).toMatchObject({ type: "data", offset: dataStart });
    expect((records[records.length - 1] as { bytes: Uint8Array }).bytes.length).toBe(10);
    expect(decoder.next()).toEqual({ type: "need-more", needed: 990 });
  });

  it("gives the same records for random splits (fast-check)", () => {
    const whole = decode([fixture.bytes]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: fixture.bytes.length }), { maxLength: 40 }), (cuts) => {
        expect(decode(splitAt(fixture.bytes, cuts))).toEqual(whole);
      }),
      { interruptAfterTimeLimit: 3000, numRuns: 500 },
    );
  });

  it("refuses every truncated stream at its end, except right after EOF", () => {
    const eofEnd = fixture.bytes.length - 5 - JSON.stringify({ devices: [IDSTR] }).length;
    for (let length = 0; length < fixture.bytes.length; length++) {
      if (length === eofEnd) {
        expect(decode([fixture.bytes.subarray(0, length)]).pop()).toMatchObject({ type: "eof" });
        continue;
      }
      const err = caught(() => decode([fixture.bytes.subarray(0, length)]));
      expect([length, err.code, err.offset]).toEqual([length, "ERR_WIRE_TRUNCATED", length]);
    }
  });

  it("answers every corrupted byte with records or a typed error, never a crash (fast-check)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: fixture.bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bytes = fixture.bytes.slice();
        bytes[at] ^= flip;
        try {
          decode([bytes]);
        } catch (err) {
          expect(err).toBeInstanceOf(WireFormatError);
          const { offset } = err as WireFormatError;
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { interruptAfterTimeLimit: 3000, numRuns: 2000 },
    );
  });

  const header = encodeFileHeader();
  const start = encodeSectionStart({ type: SectionType.START, sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1 });
  const setupOk = concat(header, start, encodeMarker(VfioMarker.DEV_SETUP_STATE), encodeMarker(VfioMarker.END_OF_STATE), encodeSectionFooter(1));
  const errors: Array<[string, Uint8Array, string, number]> = [
    ["bad magic", hex("51 45 56 4e 00 00 00 03"), "ERR_WIRE_BAD_MAGIC", 0],
    ["a multifd channel", hex("11 22 33 44 00 00 00 01"), "ERR_WIRE_BAD_MAGIC", 0],
    ["file version 2", hex("51 45 56 4d 00 00 00 02"), "ERR_WIRE_BAD_VERSION", 4],
    ["an unknown section type", concat(header, hex("09")), "ERR_WIRE_UNKNOWN_SECTION", 8],
    ["a subsection at top level", concat(header, hex("05")), "ERR_WIRE_UNKNOWN_SECTION", 8],
    ["a VM description before EOF", concat(header, hex("06 00 00 00 00")), "ERR_WIRE_UNKNOWN_SECTION", 8],
    ["CONFIGURATION after a section", concat(setupOk, hex("07 00 00 00 02 7b 7d")), "ERR_WIRE_UNEXPECTED_SECTION", setupOk.length],
    ["CONFIGURATION over 64 KiB", concat(header, hex("07 00 01 00 01")), "ERR_WIRE_TOO_LARGE", 9],
    ["CONFIGURATION that is not JSON", concat(header, hex("07 00 00 00 01 7b")), "ERR_WIRE_BAD_JSON", 13],
    ["PART of a section never started", concat(header, encodeSectionPart(SectionType.PART, 9)), "ERR_WIRE_UNKNOWN_SECTION_ID", 9],
    ["an unknown marker", concat(header, start, hex("ff ff ff ff ef 10 00 07")), "ERR_WIRE_UNKNOWN_MARKER", 8 + start.length],
    ["a non-marker", concat(header, start, hex("00 00 00 00 00 00 00 01")), "ERR_WIRE_UNKNOWN_MARKER", 8 + start.length],
    ["DEV_SETUP_STATE without END_OF_STATE", concat(header, start, encodeMarker(VfioMarker.DEV_SETUP_STATE), encodeMarker(VfioMarker.DEV_SETUP_STATE)), "ERR_WIRE_EXPECTED_END_OF_STATE", 16 + start.length],
    ["a config blob without END_OF_STATE", concat(header, start, hex("ff ff ff ff ef 10 00 02 00 00 00 00 00 00 00 01 aa"), encodeMarker(VfioMarker.DEV_SETUP_STATE)), "ERR_WIRE_EXPECTED_END_OF_STATE", 25 + start.length],
    ["a wrong footer", concat(header, start, encodeMarker(VfioMarker.END_OF_STATE), encodeSectionFooter(2)), "ERR_WIRE_BAD_FOOTER", 17 + start.length],
    ["a missing footer", concat(header, start, encodeMarker(VfioMarker.END_OF_STATE), encodeSectionPart(SectionType.PART, 1)), "ERR_WIRE_BAD_FOOTER", 16 + start.length],
    ["SWITCHOVER_START with length 1", concat(header, hex("08 00 0b 00 01 00")), "ERR_WIRE_COMMAND_LENGTH", 11],
    ["PING with length 0", concat(header, hex("08 00 02 00 00")), "ERR_WIRE_COMMAND_LENGTH", 11],
    ["command 12", concat(header, hex("08 00 0c 00 00")), "ERR_WIRE_UNKNOWN_COMMAND", 9],
    ["command 0", concat(header, hex("08 00 00 00 00")), "ERR_WIRE_UNKNOWN_COMMAND", 9],
    ["PACKAGED", concat(header, hex("08 00 07 00 04 00 00 00 00")), "ERR_WIRE_UNSUPPORTED_COMMAND", 9],
    ["a chunk over maxPacketBytes", concat(header, start, encodeDataStateHeader(1 << 20)), "ERR_WIRE_TOO_LARGE", 16 + start.length],
    ["a chunk of 2^64-1 bytes", concat(header, start, hex("ff ff ff ff ef 10 00 04 ff ff ff ff ff ff ff ff")), "ERR_WIRE_TOO_LARGE", 16 + start.length],
    ["a config blob over maxPacketBytes", concat(header, start, hex("ff ff ff ff ef 10 00 02 00 00 00 00 00 10 00 00")), "ERR_WIRE_TOO_LARGE", 16 + start.length],
    ["bytes after EOF", concat(header, encodeEof(), hex("00")), "ERR_WIRE_TRAILING_BYTES", 9],
    ["bytes after the VM description", concat(header, encodeEof(), hex("06 00 00 00 02 5b 5d 00")), "ERR_WIRE_TRAILING_BYTES", 16],
    ["COMMIT before EOF", concat(header, hex("08 01 00 00 00")), "ERR_WIRE_UNKNOWN_COMMAND", 9],
    ["another command after EOF", concat(header, encodeEof(), hex("08 00 0b 00 00")), "ERR_WIRE_UNKNOWN_COMMAND", 10],
    ["COMMIT with length 4 after EOF", concat(header, encodeEof(), hex("08 01 00 00 04 00 00 00 00")), "ERR_WIRE_COMMAND_LENGTH", 12],
    ["bytes after COMMIT", concat(header, encodeEof(), encodeCommand(MainCommand.COMMIT), hex("00")), "ERR_WIRE_TRAILING_BYTES", 14],
    ["a non-UTF-8 idstr", concat(header, hex("01 00 00 00 01 01 ff 00 00 00 00 00 00 00 01")), "ERR_WIRE_BAD_IDSTR", 14],
  ];
  it.each(errors)("refuses %s with its code and offset, at any split", (_name, bytes, code, offset) => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const err = caught(() => decode(splitAt(bytes, [cut]), { maxPacketBytes: 65536 }));
      expect([cut, err.code, err.offset, err.message.startsWith("main: ")]).toEqual([cut, code, offset, true]);
    }
  });

  it("keeps failing after an error", () => {
    const decoder = new StreamDecoder({ kind: "main" });
    decoder.push(hex("00 00 00 00 00 00 00 00"));
    expect(caught(() => decoder.next()).code).toBe("ERR_WIRE_BAD_MAGIC");
    expect(caught(() => decoder.next()).code).toBe("ERR_WIRE_BAD_MAGIC");
    expect(caught(() => decoder.end()).code).toBe("ERR_WIRE_BAD_MAGIC");
  });

  it("reads our COMMIT after EOF, bytes 08 01 00 00 00, at any split", () => {
    const bytes = concat(encodeFileHeader(), encodeEof(), encodeCommand(MainCommand.COMMIT));
    expect(hex("08 01 00 00 00")).toEqual(encodeCommand(MainCommand.COMMIT));
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(strip(decode(splitAt(bytes, [cut])))).toEqual([{ type: "header", version: 3 }, { type: "eof" }, { type: "command", command: "COMMIT" }]);
    }
  });

  it("accepts the minimal stream: header, SWITCHOVER_START, EOF", () => {
    expect(strip(decode([concat(encodeFileHeader(), encodeCommand(MainCommand.SWITCHOVER_START), encodeEof())]))).toEqual([
      { type: "header", version: 3 },
      { type: "command", command: "SWITCHOVER_START" },
      { type: "eof" },
    ]);
  });
});
