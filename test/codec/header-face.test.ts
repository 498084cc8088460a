// The TypeScript face of the WASM header functions: what it checks before calling them and how it
// feeds them bytes that arrive in pieces.
import { describe, expect, it } from "vitest";
import { decodeMultifdHello, encodeMultifdHello, encodeReturnPath, encodeSectionStart, init, SectionType, StreamDecoder } from "../../src/codec/index.js";
import { caught } from "./helpers.js";

await init();

describe("header functions' TypeScript face", () => {
  it("checks the hello's channel id against any bound as before: none, fractional, zero", () => {
    const hello = encodeMultifdHello({ channelId: 255 });
    expect(decodeMultifdHello(hello).channelId).toBe(255);
    expect(decodeMultifdHello(encodeMultifdHello({ channelId: 2 }), { channels: 2.5 }).channelId).toBe(2);
    const refused = caught(() => decodeMultifdHello(encodeMultifdHello({ channelId: 0 }), { channels: 0, subject: "multifd/0" }));
    expect([refused.code, refused.offset, refused.message]).toEqual(["ERR_MULTIFD_BAD_CHANNEL_ID", 24, "multifd/0: multifd channel id 0, expected below 0 (at byte 24)"]);
  });

  it("refuses an expected uuid that is not 16 bytes (a caller bug)", () => {
    expect(caught(() => decodeMultifdHello(encodeMultifdHello({ channelId: 0 }), { uuid: new Uint8Array(15) })).code).toBe("ERR_WIRE_ENCODE");
  });

  it("decodes a hello at an offset and names the field at fault by its stream offset", () => {
    const bytes = new Uint8Array(70);
    bytes.set(encodeMultifdHello({ channelId: 3, uuid: new Uint8Array(16).fill(7) }), 6);
    expect(decodeMultifdHello(bytes, { uuid: new Uint8Array(16).fill(7), channels: 4 }, 6).channelId).toBe(3);
    expect(decodeMultifdHello(bytes, { channels: 4 }, 6).uuid).toEqual(new Uint8Array(16).fill(7));
    expect(caught(() => decodeMultifdHello(bytes, { uuid: new Uint8Array(16), channels: 4 }, 6)).offset).toBe(14);
  });

  it("reads return-path messages and a START with a long idstr pushed one byte at a time", () => {
    const messages = [encodeReturnPath({ type: "pong", value: 0xfeedf00d }), encodeReturnPath({ type: "config", json: { a: 1 } }), encodeReturnPath({ type: "shut", status: 0 })];
    const rp = new StreamDecoder({ kind: "return-path" });
    const got: unknown[] = [];
    for (const message of messages) for (const byte of message) {
      rp.push(Uint8Array.of(byte));
      got.push(...rp.records());
    }
    expect(got).toEqual([
      { type: "pong", value: 0xfeedf00d, offset: 0 },
      { type: "config", json: { a: 1 }, offset: 8 },
      { type: "shut", status: 0, offset: 8 + 4 + 7 },
    ]);
    const idstr = "x".repeat(255);
    const start = encodeSectionStart({ type: SectionType.START, sectionId: 9, idstr, instanceId: 2, version: 1 });
    const main = new StreamDecoder({ kind: "main" });
    main.push(Uint8Array.of(0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3));
    const records: unknown[] = [...main.records()];
    for (const byte of start) {
      main.push(Uint8Array.of(byte));
      records.push(...main.records());
    }
    expect(records.at(-1)).toEqual({ type: "start", offset: 8, sectionId: 9, idstr, instanceId: 2, version: 1 });
  });
});
