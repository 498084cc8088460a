// QEMU's multifd RAM packets read by the multifd parser's `ram` mode: real QEMU 7.2 channels, split
// anywhere, interleaved with device-state packets (as 10.x sends them), and hostile headers refused.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeDeviceStatePacket, encodeMultifdHello, init, StreamDecoder, type MultifdRecord } from "../../src/codec/index.js";
import { streamBytes } from "../cli/qemu-fixtures.js";
import { IDSTR } from "./fixtures.js";
import { caught, concat } from "./helpers.js";

const SEVEN_TWO = { zeroPagesField: false };
const NEWEST = { zeroPagesField: true };

/** Records with their byte arrays as digests: deep equality over 100s of KiB per record is slow. */
function digested(records: MultifdRecord[]) {
  const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
  return records.map((r) => (r.type === "ram" ? { ...r, payload: digest(r.payload) } : r.type === "hello" ? { ...r, uuid: digest(r.uuid) } : r));
}

/** A packet's data is at most 512 KiB: a 1 MiB bound keeps each decoder's window small. */
function decode(pieces: Uint8Array[], ram = SEVEN_TWO, maxPacketBytes = 1 << 20): MultifdRecord[] {
  const decoder = new StreamDecoder({ kind: "multifd", subject: "multifd/0", ram, maxPacketBytes });
  const out: MultifdRecord[] = [];
  for (const piece of pieces) {
    decoder.push(piece);
    out.push(...decoder.records());
  }
  decoder.end();
  return out;
}

/** A 7.2-layout RAM packet with 4 KiB pages: `pages` offsets of `block`, data `fill` per page. */
function ramPacket(o: { num: number; block?: string; offsets?: number[]; flags?: number; zeroPages?: number; pagesAlloc?: number }): Uint8Array {
  const pagesAlloc = o.pagesAlloc ?? 128;
  const offsets = o.offsets ?? [];
  const head = new Uint8Array(320 + 8 * Math.max(pagesAlloc, offsets.length));
  const view = new DataView(head.buffer);
  view.setUint32(0, 0x11223344);
  view.setUint32(4, 1);
  view.setUint32(8, o.flags ?? 0);
  view.setUint32(12, pagesAlloc);
  view.setUint32(16, offsets.length);
  view.setUint32(20, offsets.length * 4096);
  view.setBigUint64(24, BigInt(o.num));
  view.setUint32(32, o.zeroPages ?? 0);
  head.set(new TextEncoder().encode(o.block ?? ""), 64);
  offsets.forEach((offset, i) => view.setBigUint64(320 + 8 * i, BigInt(offset)));
  const data = new Uint8Array(offsets.length * 4096).map((_, i) => (i >> 12) + 1);
  return concat(head.subarray(0, 320 + 8 * pagesAlloc), data);
}

const hello = () => encodeMultifdHello({ channelId: 0 });
type Ram = Extract<MultifdRecord, { type: "ram" }>;

describe("multifd RAM packets", () => {
  beforeAll(async () => {
    await init();
  });

  it("reads a real QEMU 7.2 channel the same however it is split", () => {
    const channel = streamBytes("pc-multifd/multifd-0.out.bin");
    const whole = decode([channel]);
    const wholeDigested = digested(whole);
    expect(whole.filter((r) => r.type === "ram").map((r) => [(r as Ram).packetNum, (r as Ram).normalPages, (r as Ram).block])).toEqual([
      [0, 0, undefined], [2, 61, "pc.ram"], [4, 46, "pc.bios"], [6, 1, "/rom@etc/acpi/rsdp"], [7, 0, undefined], [9, 0, undefined],
    ]);
    const bios = whole.find((r) => r.type === "ram" && r.block === "pc.bios") as Ram;
    expect([bios.payload.length, bios.pageSize, bios.offsets.length]).toEqual([46 * 4096, 4096, 46]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: channel.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), channel.length];
        expect(digested(decode(points.slice(1).map((end, i) => channel.subarray(points[i], end))))).toEqual(wholeDigested);
      }),
      { numRuns: 25 },
    );
  });

  it("reads RAM packets between device-state packets, in order", () => {
    const device = encodeDeviceStatePacket({ idstr: IDSTR, instanceId: 0, idx: 0, flags: 0, checksum: false, data: new Uint8Array([1, 2, 3]) });
    const records = decode([concat(hello(), ramPacket({ num: 1, block: "pc.ram", offsets: [0, 8192] }), device, ramPacket({ num: 2, flags: 1 }))]);
    expect(records.map((r) => r.type)).toEqual(["hello", "ram", "packet", "ram"]);
    const first = records[1] as Ram;
    expect([first.offsets, first.payload.length, first.payload[4096], first.zeroPages]).toEqual([[0, 8192], 8192, 2, undefined]);
    expect((records[3] as Ram).sync).toBe(true);
  });

  it("reads zero_pages in the 9.0 layout, whose offsets list the zero pages after the normal ones", () => {
    const packet = ramPacket({ num: 5, block: "pc.ram", offsets: [4096], zeroPages: 2 });
    new DataView(packet.buffer).setBigUint64(320 + 8, 8192n);
    new DataView(packet.buffer).setBigUint64(320 + 16, 12288n);
    const [, ram] = decode([concat(hello(), packet)], NEWEST) as [unknown, Ram];
    expect([ram.normalPages, ram.zeroPages, ram.offsets, ram.payload.length]).toEqual([1, 2, [4096, 8192, 12288], 4096]);
  });

  it("refuses headers QEMU would not write, at the field's offset", () => {
    const cases: Array<[string, Uint8Array, string, number]> = [
      ["pages_alloc not a power of two", ramPacket({ num: 1, pagesAlloc: 100 }), "ERR_MULTIFD_RAM_PACKET", 12],
      ["unknown compression", ramPacket({ num: 1, flags: 0x06 }), "ERR_MULTIFD_RAM_PACKET", 8],
      ["more pages than pages_alloc", ramPacket({ num: 1, block: "b", offsets: Array(9).fill(0), pagesAlloc: 8 }), "ERR_MULTIFD_RAM_PACKET", 16],
      ["a page offset not page-aligned", ramPacket({ num: 1, block: "b", offsets: [100] }), "ERR_MULTIFD_RAM_PACKET", 320],
      ["an unterminated block name", ramPacket({ num: 1, block: "x".repeat(256), offsets: [0] }), "ERR_MULTIFD_RAM_PACKET", 64],
    ];
    for (const [name, packet, code, at] of cases) {
      const err = caught(() => decode([concat(hello(), packet)]));
      expect([name, err.code, err.offset]).toEqual([name, code, 64 + at]);
      expect(err.message).toMatch(/^multifd\/0: /);
    }
    const big = caught(() => decode([concat(hello(), ramPacket({ num: 1, block: "b", offsets: [0, 4096, 8192] }))], SEVEN_TWO, 4096));
    expect(big.code).toBe("ERR_MULTIFD_PACKET_TOO_LARGE");
  });

  it("stays an error without the ram option, with a message that names a RAM packet", () => {
    const decoder = new StreamDecoder({ kind: "multifd" });
    decoder.push(concat(hello(), ramPacket({ num: 1, flags: 0x02 })));
    const err = caught(() => [...decoder.records()]);
    expect([err.code, err.message]).toEqual(["ERR_MULTIFD_NOT_DEVICE_STATE", expect.stringContaining("RAM packet")]);
  });
});
