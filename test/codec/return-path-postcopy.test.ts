// QEMU's postcopy return-path messages, read only where asked (inspect), and the return-path inspector.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeReturnPath, init } from "../../src/codec/index.js";
import { ByteQueue } from "../../src/codec/byte-queue.js";
import { ReturnPathParser } from "../../src/codec/decode-return-path.js";
import { ReturnPathInspector } from "../../src/codec/inspect-return-path.js";
import { caught, concat, hex } from "./helpers.js";

const reqPages = hex("00 04 00 0c 00 00 00 00 00 01 00 00 00 00 20 00");
const reqPagesId = concat(hex("00 03 00 14 00 00 00 00 00 02 00 00 00 00 10 00 07"), new TextEncoder().encode("pc.bios"));
const recvBitmap = concat(hex("00 05 00 07 06"), new TextEncoder().encode("pc.ram"), hex("00 00 00 00 00 00 00 08"), hex("ff ff 00 00 00 00 00 01"), hex("01 23 45 67 89 ab cd ef"));

function inspect(pieces: Uint8Array[]) {
  const inspector = new ReturnPathInspector();
  const messages = [];
  for (const piece of pieces) {
    inspector.push(piece);
    messages.push(...inspector.take());
  }
  inspector.end();
  return messages;
}

describe("postcopy return-path messages", () => {
  beforeAll(async () => {
    await init();
  });

  it("reads REQ_PAGES, REQ_PAGES_ID and RECV_BITMAP with its bitmap, split at every byte", () => {
    const stream = concat(encodeReturnPath({ type: "pong", value: 1 }), reqPagesId, reqPages, recvBitmap, encodeReturnPath({ type: "shut", status: 0 }));
    const want = [
      { type: "pong", value: 1 },
      { type: "req-pages-id", start: 0x20000, length: 0x1000, block: "pc.bios" },
      { type: "req-pages", start: 0x10000, length: 0x2000 },
      { type: "recv-bitmap", block: "pc.ram", bitmapBytes: 8 },
      { type: "shut", status: 0 },
    ];
    expect(inspect([stream])).toEqual(want);
    for (let cut = 1; cut < stream.length; cut++) expect(inspect([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(want);
  });

  it("are refused by the engine's parser, which speaks none of them", () => {
    const q = new ByteQueue();
    q.push(reqPages);
    expect(caught(() => new ReturnPathParser("main").next(q)).code).toBe("ERR_RP_UNKNOWN_TYPE");
  });

  it("refuse wrong lengths and a bitmap without its end mark", () => {
    const cases: Array<[Uint8Array, number]> = [
      [hex("00 04 00 0b 00 00 00 00 00 01 00 00 00 00 20"), 2],
      [concat(hex("00 03 00 14 00 00 00 00 00 02 00 00 00 00 10 00 08"), new TextEncoder().encode("pc.bios")), 2],
      [concat(recvBitmap.subarray(0, recvBitmap.length - 1), hex("00")), recvBitmap.length - 8],
    ];
    for (const [bytes, offset] of cases) {
      const stream = concat(encodeReturnPath({ type: "pong", value: 1 }), bytes);
      const err = caught(() => inspect([stream]));
      expect([err.code, err.offset]).toEqual(["ERR_RP_BAD_LENGTH", 8 + offset]);
    }
  });

  it("says a stream that is no return path is none of the streams inspect knows", () => {
    const err = caught(() => inspect([new TextEncoder().encode("hello world")]));
    expect([err.code, err.offset]).toEqual(["ERR_WIRE_BAD_MAGIC", 0]);
    expect(err.message).toMatch(/neither a main channel .* nor a return path \(unknown return-path message type 26725\)/);
    const truncated = caught(() => inspect([concat(encodeReturnPath({ type: "pong", value: 1 }), reqPages.subarray(0, 6))]));
    expect([truncated.code, truncated.offset]).toEqual(["ERR_WIRE_TRUNCATED", 8]);
  });
});
