// The main-stream reader on streams built here byte by byte, where the real captures
// (test/cli/inspect-qemu.test.ts) do not reach: every RAM flag, the configuration's subsections,
// every command, vmstate quirks, streams without a description or footers, and bad bytes.
import { deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { init, isWireFormatError } from "../../src/codec/index.js";
import { inspectMainStream } from "../../src/codec/inspect-main.js";
import { pythonJson, StateBuilder } from "../../src/codec/inspect-state.js";
import type { InspectMainRecord } from "../../src/codec/qemu-main.js";
import type { RamRecord } from "../../src/codec/qemu-ram.js";
import type { VmDescription } from "../../src/codec/qemu-vmstate.js";
import { applyXbzrle } from "../../src/codec/qemu-xbzrle.js";
import { concat, hex, seededBytes } from "./helpers.js";

const be16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const be32 = (n: number) => Uint8Array.of(n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
const be64 = (n: number) => concat(be32(Math.floor(n / 2 ** 32)), be32(n >>> 0));
const str8 = (s: string) => concat(Uint8Array.of(s.length), new TextEncoder().encode(s));
const HEADER = hex("51 45 56 4d 00 00 00 03");
const machine = (name: string) => concat(Uint8Array.of(0x07), be32(name.length), new TextEncoder().encode(name));
const subsection = (name: string, ...fields: Uint8Array[]) => concat(Uint8Array.of(0x05), str8(name), be32(1), ...fields);
const start = (type: number, id: number, idstr: string, instance = 0, version = 1) => concat(Uint8Array.of(type), be32(id), str8(idstr), be32(instance), be32(version));
const footer = (id: number) => concat(Uint8Array.of(0x7e), be32(id));
const command = (cmd: number, data: Uint8Array = new Uint8Array(0)) => concat(Uint8Array.of(0x08), be16(cmd), be16(data.length), data);
const EOF = Uint8Array.of(0);
const PAGE = 4096;

async function read(bytes: Uint8Array, options: Parameters<typeof inspectMainStream>[1] = {}, chunk = bytes.length): Promise<InspectMainRecord[]> {
  const records: InspectMainRecord[] = [];
  async function* chunks() {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  }
  for await (const record of inspectMainStream(chunks(), options)) records.push(record);
  return records;
}

async function failure(bytes: Uint8Array, options: Parameters<typeof inspectMainStream>[1] = {}) {
  const err = await read(bytes, options).then(() => undefined, (e: unknown) => e);
  if (!isWireFormatError(err)) throw new Error(`expected a WireFormatError, got ${String(err)}`);
  return { code: err.code, offset: err.offset, message: err.message };
}

beforeAll(async () => {
  await init();
});

describe("QEMU's CONFIGURATION and the ram section", () => {
  const page = seededBytes(PAGE, 7);
  const newer = seededBytes(PAGE, 8);
  // XBZRLE of `newer` over `page`: 10 bytes unchanged, 6 new bytes, then the rest unchanged.
  const delta = concat(Uint8Array.of(10, 6), newer.subarray(10, 16));
  const ram = (flags: number, offset: number) => be64(offset + flags);
  const stream = concat(
    HEADER,
    machine("pc-q35-9.2"),
    subsection("configuration/target-page-bits", be32(12)),
    subsection("configuration/capabilities", be32(2), str8("x-ignore-shared"), str8("mapped-ram")),
    subsection("configuration/uuid", hex("00112233 4455 6677 8899 aabbccddeeff")),
    start(0x01, 2, "ram", 0, 4),
    ram(0x04, 3 * PAGE),
    str8("pc.ram"), be64(2 * PAGE), be64(0x100000),
    str8("pc.bios"), be64(PAGE), be64(0xfffff000),
    ram(0x10, 0),
    footer(2),
    Uint8Array.of(0x02), be32(2),
    ram(0x08, PAGE), str8("pc.ram"), page,
    ram(0x02 | 0x20, 0), Uint8Array.of(0),
    ram(0x40 | 0x20, PAGE), Uint8Array.of(1), be16(delta.length), delta,
    ram(0x100, 0), str8("pc.bios"), be32(deflateSync(page).length), deflateSync(page),
    ram(0x80, 0),
    ram(0x200, 0),
    ram(0x10, 0),
    footer(2),
    EOF,
  );

  it("lists the machine, the subsections, the block list with addresses and every kind of page", async () => {
    const pages: RamRecord[] = [];
    const records = await read(stream, { onRam: (r) => pages.push(r) });
    expect(records[0]).toEqual({
      type: "configuration", offset: 8, form: "qemu", machine: "pc-q35-9.2", targetPageBits: 12,
      capabilities: ["x-ignore-shared", "mapped-ram"], uuid: "00112233-4455-6677-8899-aabbccddeeff",
    });
    const blocks = [{ name: "pc.ram", length: 2 * PAGE, address: 0x100000 }, { name: "pc.bios", length: PAGE, address: 0xfffff000 }];
    expect(records[1]).toMatchObject({ type: "start", idstr: "ram", ram: { blocks, eos: true } });
    expect(records[2]).toMatchObject({
      type: "part",
      sectionId: 2,
      ram: { zeroPages: 1, normalPages: 1, xbzrlePages: 1, compressedPages: 1, hooks: 1, multifdFlushes: 1, eos: true },
    });
    expect(pages.map((p) => ("block" in p ? `${p.kind} ${p.block.name} ${p.offset}` : p.kind))).toEqual([
      "blocks", "eos", `page pc.ram ${PAGE}`, "zero pc.ram 0", `xbzrle pc.ram ${PAGE}`, "compressed pc.bios 0", "hook", "multifd-flush", "eos",
    ]);
    expect(records.at(-1)).toEqual({ type: "eof" });
    // The byte range of the part section runs from its type byte to its EOS (the footer is not part of it).
    const part = records[2] as { offset: number; length: number };
    expect(stream[part.offset]).toBe(0x02);
    expect(stream.subarray(part.offset + part.length, part.offset + part.length + 5)).toEqual(footer(2));
  });

  it("reads the same records whatever the chunks", async () => {
    const whole = await read(stream);
    for (const chunk of [5, 100, 4095]) expect(await read(stream, {}, chunk)).toEqual(whole);
  });

  it("applies an XBZRLE page: unchanged runs kept, literal runs copied", () => {
    const target = page.slice();
    expect(applyXbzrle(delta, target)).toBe(true);
    expect(target.subarray(0, 16)).toEqual(concat(page.subarray(0, 10), newer.subarray(10, 16)));
    expect(target.subarray(16)).toEqual(page.subarray(16));
    // Two-byte run lengths (ULEB128): 200 unchanged, then 3 new bytes.
    expect(applyXbzrle(hex("c8 01 03 aa bb cc"), target)).toBe(true);
    expect(target.subarray(200, 203)).toEqual(hex("aa bb cc"));
    expect(applyXbzrle(hex("ff 7f 01 00"), new Uint8Array(PAGE))).toBe(false); // 16383 is past the page
    expect(applyXbzrle(hex("00 05 aa"), new Uint8Array(PAGE))).toBe(false); // literal run past the data
  });

  const ramStream = (...records: Uint8Array[]) =>
    concat(HEADER, start(0x01, 2, "ram", 0, 4), be64(PAGE + 0x04), str8("pc.ram"), be64(PAGE), ...records);
  const bad: Array<[string, Uint8Array, string, number]> = [
    // The first RAM record after the block list is at byte 48.
    ["ZERO and PAGE together", ramStream(be64(0x0a)), "ERR_RAM_BAD_FLAGS", 48],
    ["a page of a block never listed", ramStream(be64(0x08), str8("pc.rom")), "ERR_RAM_UNKNOWN_BLOCK", 56],
    ["a page past its block's end", ramStream(be64(PAGE + 0x08), str8("pc.ram")), "ERR_RAM_BAD_OFFSET", 48],
    ["CONTINUE before any block", ramStream(be64(0x22), Uint8Array.of(0)), "ERR_RAM_UNKNOWN_BLOCK", 48],
    ["an XBZRLE page over a page", ramStream(be64(0x40), str8("pc.ram"), Uint8Array.of(1), be16(PAGE + 1)), "ERR_RAM_BAD_LENGTH", 64],
  ];
  it.each(bad)("refuses %s", async (_name, bytes, code, offset) => {
    expect(await failure(bytes)).toMatchObject({ code, offset });
  });
});

describe("commands", () => {
  it("lists every command with its data, and the records a PACKAGED command carries", async () => {
    const discard = concat(Uint8Array.of(0), str8("pc.ram"), Uint8Array.of(0), be64(0x1000), be64(0x2000), be64(0x8000), be64(0x1000));
    const records = await read(
      concat(
        HEADER,
        command(1),
        command(2, be32(7)),
        command(3, concat(be64(0x201000), be64(PAGE))),
        command(3),
        command(6, discard),
        command(10, str8("pc.ram")),
        command(7, be32(6)),
        command(4),
        command(5),
        command(8),
        command(9),
        command(11),
        EOF,
      ),
    );
    expect(records).toEqual([
      { type: "command", command: "OPEN_RETURN_PATH" },
      { type: "command", command: "PING", value: 7 },
      { type: "command", command: "POSTCOPY_ADVISE", pageSizeSummary: 0x201000, targetPageSize: PAGE },
      { type: "command", command: "POSTCOPY_ADVISE" },
      { type: "command", command: "POSTCOPY_RAM_DISCARD", block: "pc.ram", ranges: [[0x1000, 0x2000], [0x8000, 0x1000]] },
      { type: "command", command: "RECV_BITMAP", block: "pc.ram" },
      { type: "command", command: "PACKAGED", length: 6 },
      { type: "command", command: "POSTCOPY_LISTEN" },
      { type: "command", command: "POSTCOPY_RUN" },
      { type: "command", command: "ENABLE_COLO" },
      { type: "command", command: "POSTCOPY_RESUME" },
      { type: "command", command: "SWITCHOVER_START" },
      { type: "eof" },
    ]);
  });

  it("refuses an unknown command and a wrong length, at the field", async () => {
    expect(await failure(concat(HEADER, command(12)))).toMatchObject({ code: "ERR_WIRE_UNKNOWN_COMMAND", offset: 9 });
    expect(await failure(concat(HEADER, command(3, be32(1))))).toMatchObject({ code: "ERR_WIRE_COMMAND_LENGTH", offset: 11 });
    expect(await failure(concat(HEADER, command(7, be16(1))))).toMatchObject({ code: "ERR_WIRE_COMMAND_LENGTH", offset: 11 });
  });
});

describe("devices through the VM description", () => {
  const description: VmDescription = {
    page_size: PAGE,
    devices: [
      {
        name: "dev",
        instance_id: 1,
        vmsd_name: "dev",
        version: 3,
        fields: [
          { name: "neg", type: "int16", size: 2 },
          { name: "big", type: "uint64", size: 8 },
          { name: "quirk", type: "uint8 equal", size: 1 },
          { name: "on", type: "bool", size: 1 },
          { name: "regs", type: "uint32", size: 4, array_len: 2 },
          { name: "pair", type: "struct", size: 3, struct: { vmsd_name: "pair", version: 1, fields: [{ name: "a", type: "uint8", size: 1 }, { name: "raw", type: "buffer", size: 2 }] } },
          { name: "elems", type: "struct", size: 1, index: 0, struct: { fields: [{ name: "x", type: "int8", size: 1 }] } },
          { name: "elems", type: "struct", size: 1, index: 1, struct: { fields: [{ name: "x", type: "int8", size: 1 }] } },
        ],
        subsections: [{ vmsd_name: "dev/extra", version: 1, fields: [{ name: "flag", type: "uint16", size: 2 }] }],
      },
    ],
  };
  const payload = concat(hex("ff fe"), hex("ff ff ff ff ff ff ff ff"), hex("ff"), hex("02"), be32(1), be32(2), hex("05 ab cd"), hex("80 7f"), subsection("dev/extra", be16(9)));
  const withFooters = concat(HEADER, start(0x04, 3, "dev", 1, 3), payload, footer(3), EOF);

  it("formats values as analyze-migration.py does: hex of the field's width, negatives with their decimal, bools, lists, structs, subsections", async () => {
    const records = await read(withFooters, { description });
    const fields = {
      neg: "0xfffe (-2)",
      big: "0xffffffffffffffff",
      quirk: "0xff (-1)",
      on: true,
      regs: ["0x00000001", "0x00000002"],
      pair: { a: "0x05", raw: "ab cd" },
      elems: [{ x: "0x80 (-128)" }, { x: "0x7f" }],
      "dev/extra": { flag: "0x0009" },
    };
    expect(records[0]).toEqual({ type: "full", sectionId: 3, idstr: "dev", instanceId: 1, version: 3, offset: 8, length: 17 + payload.length, fields });
    const state = new StateBuilder();
    records.forEach((r) => state.add(r));
    expect(pythonJson(state.toObject())).toBe(pythonJson({ "dev (3)": fields }));
    expect(pythonJson({ "é": "\u2603" })).toBe('{\n    "\\u00e9": "\\u2603"\n}');
  });

  it("gathers array segments sharing a name (QEMU 9+: an array of pointers with NULLs) in one list", async () => {
    const segmented: VmDescription = {
      page_size: PAGE,
      devices: [{ name: "seg", instance_id: 0, fields: [{ name: "ptrs", type: "nullptr", size: 1 }, { name: "ptrs", type: "uint8", size: 1, array_len: 2 }] }],
    };
    const records = await read(concat(HEADER, start(0x04, 1, "seg"), hex("30 01 02"), EOF), { description: segmented });
    expect(records[0]).toMatchObject({ fields: { ptrs: ["nullptr", "0x01", "0x02"] } });
  });

  it("reads a stream without footers through the description alone", async () => {
    const records = await read(concat(HEADER, start(0x04, 3, "dev", 1, 3), payload, EOF), { description });
    expect(records[0]).toMatchObject({ type: "full", fields: { on: true } });
  });

  it("without a description, finds each section's end by its footer and says its fields were not decoded", async () => {
    const records = await read(withFooters);
    expect(records[0]).toEqual({
      type: "full", sectionId: 3, idstr: "dev", instanceId: 1, version: 3, offset: 8, length: 17 + payload.length, fields: null, undecoded: "no VM description",
    });
    for (const chunk of [1, 3, 5]) expect(await read(withFooters, {}, chunk)).toEqual(records);
  });

  it("without a description or footers, says the section's end cannot be found", async () => {
    expect(await failure(concat(HEADER, start(0x04, 3, "dev", 1, 3), payload, EOF))).toMatchObject({ code: "ERR_WIRE_TRUNCATED", offset: 8 });
  });

  it("refuses a missing subsection and a footer of another section", async () => {
    const noSubsection = concat(HEADER, start(0x04, 3, "dev", 1, 3), payload.subarray(0, payload.length - 17), footer(3), EOF);
    const err = await failure(noSubsection, { description });
    expect(err).toMatchObject({ code: "ERR_VMSTATE_NO_SUBSECTION", offset: 8 + 17 + payload.length - 17 });
    expect(err.message).toMatch(/^dev: subsection dev\/extra not found/);
    expect(await failure(concat(HEADER, start(0x04, 3, "dev", 1, 3), payload, footer(4), EOF), { description })).toMatchObject({
      code: "ERR_WIRE_BAD_FOOTER", offset: 8 + 17 + payload.length + 1,
    });
  });
});
