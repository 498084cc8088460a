// `--extract` on multifd channels: pages at their offsets over an existing block file, zero pages as
// zeros, and compressed data that does not inflate (or cannot be) refused with its code.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, createDeflate } from "node:zlib";
import { describe, expect, it } from "vitest";
import { MultifdRamExtractor } from "../../src/cli/commands/inspect-extract-multifd.js";
import type { MultifdRamRecord } from "../../src/codec/decode-multifd.js";

function packet(o: Partial<MultifdRamRecord> & { payload: Uint8Array; offsets: number[] }): MultifdRamRecord {
  return {
    type: "ram", offset: 0, flags: 0, sync: false, compression: "none", pagesAlloc: 128, pageSize: 4096, normalPages: o.offsets.length,
    nextPacketSize: o.payload.length, packetNum: 1, block: "pc.ram", headerBytes: 1344, payloadBytes: o.payload.length, ...o,
  };
}

async function extracting(packets: MultifdRamRecord[], existing?: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), "vfio-extract-multifd-"));
  if (existing) writeFileSync(join(dir, "pc.ram"), existing);
  const extractor = new MultifdRamExtractor(dir);
  try {
    for (const p of packets) await extractor.onRamPacket(p);
  } finally {
    extractor.close();
  }
  return readFileSync(join(dir, "pc.ram"));
}

describe("inspect --extract on a multifd channel", () => {
  it("writes normal pages at their offsets and zero pages as zeros into an existing block file", async () => {
    const existing = new Uint8Array(4 * 4096).fill(0xee);
    const page = new Uint8Array(4096).fill(7);
    const out = await extracting([packet({ payload: page, offsets: [4096, 12288], normalPages: 1, zeroPages: 1 })], existing);
    expect(out.length).toBe(4 * 4096);
    expect([out[0], out[4096], out[8191], out[8192], out[12288], out[16383]]).toEqual([0xee, 7, 7, 0xee, 0, 0]);
  });

  it("inflates zlib packets as one stream per channel, flushed per packet", async () => {
    // As QEMU deflates a channel: one stream, Z_SYNC_FLUSH after each packet's pages.
    const deflate = createDeflate();
    const flushed = async (page: Uint8Array) => {
      const out: Buffer[] = [];
      const onData = (c: Buffer) => out.push(c);
      deflate.on("data", onData);
      deflate.write(page);
      await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
      deflate.off("data", onData);
      return Buffer.concat(out);
    };
    const a = new Uint8Array(4096).map((_, i) => i % 251);
    const b = new Uint8Array(4096).map((_, i) => i % 13);
    const first = packet({ payload: await flushed(a), offsets: [0], compression: "zlib" });
    const second = packet({ payload: await flushed(b), offsets: [4096], compression: "zlib" });
    const out = await extracting([first, second]);
    expect([Buffer.compare(out.subarray(0, 4096), a), Buffer.compare(out.subarray(4096), b)]).toEqual([0, 0]);
    // The second packet alone does not inflate: it continues the first's stream.
    await expect(extracting([second])).rejects.toMatchObject({ code: "ERR_RAM_BAD_PAGE" });
  });

  it("refuses data that does not inflate, and compression it cannot inflate", async () => {
    const junk = packet({ payload: new Uint8Array([0xff, 0xff, 0xff, 0xff]), offsets: [0], compression: "zlib" });
    await expect(extracting([junk])).rejects.toMatchObject({ code: "ERR_RAM_BAD_PAGE", message: expect.stringMatching(/^pc\.ram: zlib multifd packet 1/) });
    const qpl = packet({ payload: new Uint8Array(10), offsets: [0], compression: "qpl" });
    await expect(extracting([qpl])).rejects.toMatchObject({ code: "ERR_INSPECT_COMPRESSION" });
  });
});
