// The WASM header readers (assembly/main-wire.ts) against their pure-TS reference, on random field
// values with random truncations and corruptions, for both builds.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createInstance, init, SectionType, type CodecInstance } from "../../src/codec/index.js";
import * as ref from "../../src/codec/reference/main-wire.js";
import * as raw from "./raw-headers.js";
import { HeaderError } from "../../src/codec/wire-wasm.js";
import { FLAVORS } from "../support/flavors.js";
import { hex } from "./helpers.js";

const REGION = 512;
const UUID_AT = REGION;
const OUT_AT = REGION + 64;
const SLOTS = 8;
const RUNS = { numRuns: 400, interruptAfterTimeLimit: 4000 };

/** A header's bytes (any content), how many of them are available, and the parameters of the read. */
interface Case {
  bytes: Uint8Array;
  avail: number;
}

/** Valid bytes, then up to 3 bytes overwritten, then cut anywhere (often whole or one byte short). */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Case> {
  return valid.chain((bytes) =>
    fc
      .record({
        edits: fc.array(fc.record({ at: fc.nat(Math.max(0, bytes.length - 1)), value: fc.nat(255) }), { maxLength: 3 }),
        cut: fc.oneof(fc.constant(bytes.length), fc.constant(Math.max(0, bytes.length - 1)), fc.nat(bytes.length)),
      })
      .map(({ edits, cut }) => {
        const copy = bytes.slice();
        if (copy.length > 0) for (const edit of edits) copy[edit.at] = edit.value;
        return { bytes: copy, avail: cut };
      }),
  );
}

function built(size: number, write: (bytes: Uint8Array) => number): Uint8Array {
  const bytes = new Uint8Array(size);
  return bytes.subarray(0, write(bytes));
}

const u32 = fc.oneof(fc.nat(16), fc.integer({ min: 0, max: 0xffffffff }));
const u16 = fc.oneof(fc.nat(16), fc.integer({ min: 0, max: 0xffff }));
const markerValue = fc.oneof(fc.nat(9).map((flag) => 0xffffffffef100000n | BigInt(flag)), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
/** Lengths read from the wire: any be64. */
const wireLength = fc.oneof(fc.bigInt({ min: 0n, max: 1n << 22n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));

const topLevelBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.record({ full: fc.boolean(), id: u32, idstr: fc.uint8Array({ maxLength: 255 }), instance: u32, version: u32 }).map((s) =>
    built(300, (b) => {
      b.set(s.idstr, 6);
      return raw.writeSectionStartRaw(b, 0, s.full ? SectionType.FULL : SectionType.START, s.id, s.idstr.length, s.instance, s.version);
    }),
  ),
  fc.record({ end: fc.boolean(), id: u32 }).map((s) => built(5, (b) => raw.writeSectionHeaderRaw(b, 0, s.end ? SectionType.END : SectionType.PART, s.id))),
  fc.record({ command: fc.oneof(fc.nat(13), u16), length: fc.oneof(fc.constantFrom(0, 4), u16), value: u32 }).map((c) =>
    built(9, (b) => {
      raw.writeCommandHeaderRaw(b, 0, c.command, c.length);
      new DataView(b.buffer).setUint32(5, c.value);
      return 9;
    }),
  ),
  fc.record({ length: fc.oneof(fc.nat(70_000), u32) }).map((c) => built(5, (b) => raw.writeLengthDelimitedHeaderRaw(b, 0, SectionType.CONFIGURATION, c.length))),
  fc.constant(Uint8Array.of(SectionType.EOF)),
  fc.uint8Array({ minLength: 1, maxLength: 20 }),
);

const rpBytes: fc.Arbitrary<Uint8Array> = fc
  .record({
    type: fc.oneof(fc.constantFrom(...[1, 2, 6, 7, 0x100, 0x101, 0, 3, 8]), u16),
    length: fc.oneof(fc.constantFrom(0, 4), u16),
    value: u32,
  })
  .map((m) =>
    built(8, (b) => {
      const view = new DataView(b.buffer);
      view.setUint16(0, m.type);
      view.setUint16(2, m.length);
      view.setUint32(4, m.value);
      return 8;
    }),
  );

describe.each(FLAVORS)("main-channel, return-path and hello headers in WASM (%s build)", (flavor) => {
  let wasm: CodecInstance;
  let base: number;
  beforeAll(async () => {
    await init({ flavor });
    wasm = createInstance(1 << 16, flavor);
    base = wasm.heapBase;
  });

  /** Runs a reader on `c` in WASM and in the reference (same bytes, same stale out slots); both results must agree. */
  function readBoth(c: Case, extra: Uint8Array | undefined, wasmRead: (ptr: number, avail: number, out: number) => number, refRead: (bytes: Uint8Array, avail: number, out: Uint32Array) => number) {
    const local = new Uint8Array(OUT_AT + SLOTS * 4);
    local.set(c.bytes);
    if (extra) local.set(extra, UUID_AT);
    const stale = Uint32Array.from({ length: SLOTS }, (_, i) => 0xa5a5a5a5 + i);
    wasm.bytes.set(local.subarray(0, OUT_AT), base);
    const wasmOut = new Uint32Array(wasm.memory.buffer, base + OUT_AT, SLOTS);
    wasmOut.set(stale);
    const refOut = stale.slice();
    const got = wasmRead(base, c.avail, base + OUT_AT);
    const want = refRead(local, c.avail, refOut);
    expect({ result: got, out: Array.from(wasmOut) }).toEqual({ result: want, out: Array.from(refOut) });
    return got;
  }

  it("reads the stream header as the reference does", () => {
    const header = fc.record({ magic: fc.oneof(fc.constant(0x5145564d), u32), version: fc.oneof(fc.constant(3), u32) }).map((h) =>
      built(8, (b) => {
        new DataView(b.buffer).setUint32(0, h.magic);
        new DataView(b.buffer).setUint32(4, h.version);
        return 8;
      }),
    );
    fc.assert(
      fc.property(mutated(header), (c) => {
        readBoth(c, undefined, (p, a, o) => wasm.exports.readFileHeader(p, a, o), (b, a, o) => ref.readFileHeaderReference(b, 0, a, o));
      }),
      RUNS,
    );
  });

  it("reads every top-level record header as the reference does, with every outcome reached", () => {
    const outcomes = new Set<number>();
    fc.assert(
      fc.property(mutated(topLevelBytes), fc.boolean(), fc.oneof(fc.constant(65536), fc.nat(70_000)), (c, started, max) => {
        const r = readBoth(
          c,
          undefined,
          (p, a, o) => wasm.exports.readTopLevel(p, a, started ? 1 : 0, max, o),
          (b, a, o) => ref.readTopLevelReference(b, 0, a, started, max, o),
        );
        outcomes.add(r > 0 ? 1 : r);
      }),
      { ...RUNS, numRuns: 1500 },
    );
    const expected = [1, 0, -HeaderError.UNKNOWN_SECTION, -HeaderError.UNEXPECTED_SECTION, -HeaderError.TOO_LARGE, -HeaderError.UNKNOWN_COMMAND, -HeaderError.UNSUPPORTED_COMMAND, -HeaderError.COMMAND_LENGTH];
    expect([...outcomes].sort()).toEqual(expect.arrayContaining(expected));
  });

  it("reads VFIO markers, END_OF_STATE and the config length as the reference does", () => {
    const marker = fc.record({ value: markerValue, length: wireLength }).map((m) =>
      built(16, (b) => {
        new DataView(b.buffer).setBigUint64(0, m.value);
        new DataView(b.buffer).setBigUint64(8, m.length);
        return 16;
      }),
    );
    fc.assert(
      fc.property(mutated(marker), fc.oneof(fc.constant(16 << 20), fc.nat(1 << 21)), (c, max) => {
        readBoth(c, undefined, (p, a, o) => wasm.exports.readMarker(p, a, max, o), (b, a, o) => ref.readMarkerReference(b, 0, a, max, o));
        readBoth(c, undefined, (p, a, o) => wasm.exports.readEndOfState(p, a, o), (b, a, o) => ref.readEndOfStateReference(b, 0, a, o));
        readBoth(c, undefined, (p, a, o) => wasm.exports.readConfigLength(p, a, max, o), (b, a, o) => ref.readConfigLengthReference(b, 0, a, max, o));
      }),
      RUNS,
    );
  });

  it("reads footers and the VM description header as the reference does", () => {
    const footer = fc.record({ type: fc.oneof(fc.constantFrom(0x7e, 0x06), fc.nat(255)), id: u32 }).map((f) => built(5, (b) => raw.writeSectionHeaderRaw(b, 0, f.type, f.id)));
    fc.assert(
      fc.property(mutated(footer), u32, fc.nat(2 << 20), (c, sectionId, max) => {
        readBoth(c, undefined, (p, a, o) => wasm.exports.readFooter(p, a, sectionId, o), (b, a, o) => ref.readFooterReference(b, 0, a, sectionId, o));
        readBoth(c, undefined, (p, a, o) => wasm.exports.readVmDescription(p, a, max, o), (b, a, o) => ref.readVmDescriptionReference(b, 0, a, max, o));
      }),
      RUNS,
    );
  });

  it("reads return-path messages as the reference does, with every outcome reached", () => {
    const outcomes = new Set<number>();
    fc.assert(
      fc.property(mutated(rpBytes), (c) => {
        const r = readBoth(c, undefined, (p, a, o) => wasm.exports.readReturnPath(p, a, o), (b, a, o) => ref.readReturnPathReference(b, 0, a, o));
        outcomes.add(r);
      }),
      { ...RUNS, numRuns: 2000 },
    );
    expect([...outcomes]).toEqual(expect.arrayContaining([0, 4, 8, -HeaderError.RP_UNKNOWN_TYPE, -HeaderError.RP_BAD_LENGTH]));
  });

  it("reads the multifd hello as the reference does", () => {
    const hello = fc.record({ uuid: fc.uint8Array({ minLength: 16, maxLength: 16 }), id: fc.nat(255) }).map((h) =>
      built(64, (b) => {
        b.set(h.uuid, 8);
        return raw.writeMultifdHelloRaw(b, 0, h.id);
      }),
    );
    fc.assert(
      fc.property(mutated(hello), fc.constantFrom("same", "zero", "none"), fc.nat(256), (c, expected, channels) => {
        const uuid = expected === "same" ? c.bytes.slice(8, 24) : new Uint8Array(16);
        const at = expected === "none" ? 0 : UUID_AT;
        readBoth(c, uuid, (p, a, o) => wasm.exports.readMultifdHello(p, a, at && p + at, channels, o), (b, a, o) => ref.readMultifdHelloReference(b, 0, a, at, channels, o));
      }),
      RUNS,
    );
  });

  it("reads the spec's bytes", () => {
    const out = new Uint32Array(SLOTS);
    expect(ref.readReturnPathReference(hex("00 01 00 04 00 00 00 01"), 0, 8, out)).toBe(8);
    expect(out[3]).toBe(1);
  });
});
