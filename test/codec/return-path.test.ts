import { describe, expect, it } from "vitest";
import { encodeReturnPath, init, StreamDecoder, type ReturnPathMessage } from "../../src/codec/index.js";
import { caught, concat, hex, toHex } from "./helpers.js";

await init();

const decodeAll = (bytes: Uint8Array) => {
  const decoder = new StreamDecoder({ kind: "return-path", subject: "main" });
  decoder.push(bytes);
  const records = [...decoder.records()];
  decoder.end();
  return records;
};

describe("return path", () => {
  it("encodes QEMU's messages byte for byte", () => {
    expect(toHex(encodeReturnPath({ type: "switchover-ack" }))).toBe("00 07 00 00");
    expect(toHex(encodeReturnPath({ type: "shut", status: 1 }))).toBe("00 01 00 04 00 00 00 01");
    expect(toHex(encodeReturnPath({ type: "pong", value: 0xdeadbeef }))).toBe("00 02 00 04 de ad be ef");
    expect(toHex(encodeReturnPath({ type: "resume-ack", value: 1 }))).toBe("00 06 00 04 00 00 00 01");
  });

  it("carries our JSON messages as types 0x0100 and 0x0101", () => {
    expect(toHex(encodeReturnPath({ type: "config", json: { ok: true } }))).toBe("01 00 00 0b 7b 22 6f 6b 22 3a 74 72 75 65 7d");
    expect(toHex(encodeReturnPath({ type: "report", json: 1 }))).toBe("01 01 00 01 31");
  });

  it("round-trips every type through the stream decoder, split at every point", () => {
    const messages: ReturnPathMessage[] = [
      { type: "shut", status: 0 },
      { type: "pong", value: 42 },
      { type: "resume-ack", value: 7 },
      { type: "switchover-ack" },
      { type: "config", json: { channels: 2, checksum: true } },
      { type: "report", json: { vmStartedAt: 123.5 } },
    ];
    const stream = concat(...messages.map(encodeReturnPath));
    const strip = (records: { offset: number }[]) => records.map(({ offset: _offset, ...m }) => m);
    expect(strip(decodeAll(stream))).toEqual(messages);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new StreamDecoder({ kind: "return-path" });
      decoder.push(stream.subarray(0, cut));
      const first = [...decoder.records()];
      decoder.push(stream.subarray(cut));
      expect(strip([...first, ...decoder.records()])).toEqual(messages);
      decoder.end();
    }
  });

  it("refuses unknown types, wrong lengths, bad JSON and truncation", () => {
    const unknown = caught(() => decodeAll(hex("00 03 00 00")));
    expect([unknown.code, unknown.offset]).toEqual(["ERR_RP_UNKNOWN_TYPE", 0]);
    expect(unknown.message).toMatch(/^main: /);
    const length = caught(() => decodeAll(concat(encodeReturnPath({ type: "switchover-ack" }), hex("00 07 00 01 00"))));
    expect([length.code, length.offset]).toEqual(["ERR_RP_BAD_LENGTH", 6]);
    expect(caught(() => decodeAll(hex("00 01 00 02 00 00"))).code).toBe("ERR_RP_BAD_LENGTH");
    const json = caught(() => decodeAll(hex("01 01 00 02 7b 7b")));
    expect([json.code, json.offset]).toEqual(["ERR_RP_BAD_JSON", 4]);
    expect(caught(() => decodeAll(hex("01 00 00 01 ff"))).code).toBe("ERR_RP_BAD_JSON");
    const truncated = caught(() => decodeAll(hex("00 01 00 04 00")));
    expect([truncated.code, truncated.offset]).toEqual(["ERR_WIRE_TRUNCATED", 5]);
  });
});
