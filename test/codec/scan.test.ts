import { beforeAll, describe, expect, it } from "vitest";
import {
  CHECK_AHEAD_BYTES, CheckAhead, createInstance, encodeDeviceStatePacket, init, MultifdScanner, packetHeader, packetIdstr, scanResultsBytes,
  type ChecksumOption, type CodecInstance,
} from "../../src/codec/index.js";
import { scanMultifdReference } from "../../src/codec/reference/scan.js";
import { FLAVORS } from "../support/flavors.js";
import { caught, concat, seededBytes } from "./helpers.js";

const IDSTR = "0000:00:04.0/vfio";
const MAX_RECORDS = 8;

function packet(idx: number, dataLength: number, checksum: ChecksumOption, flags = 0): Uint8Array {
  return encodeDeviceStatePacket({ idstr: IDSTR, instanceId: idx % 3, idx, flags, data: seededBytes(dataLength, idx + 1), checksum });
}

/** Writes `bytes` as a window in `instance` and scans it with both the WASM scanner and the reference. */
function scanBoth(instance: CodecInstance, bytes: Uint8Array, maxPayload: number, checksum: ChecksumOption) {
  const results = instance.heapBase;
  const window = results + scanResultsBytes(MAX_RECORDS);
  instance.bytes.set(bytes, window);
  const scanner = new MultifdScanner(instance, { results, maxRecords: MAX_RECORDS, maxPayloadBytes: maxPayload, checksum });
  const summary = scanner.scan(window, bytes.length);
  const records = Array.from({ length: summary.count }, (_, i) => Object.values(scanner.packet(i)));
  const raw = new Uint32Array(instance.memory.buffer, results, 6);
  const reference = scanMultifdReference(bytes, maxPayload, checksum, MAX_RECORDS);
  return { summary, records, raw: Array.from(raw), reference, window };
}

describe.each(FLAVORS)("multifd scanner (%s build)", (flavor) => {
  let instance: CodecInstance;
  beforeAll(async () => {
    await init({ flavor });
    instance = createInstance(1 << 20, flavor);
  });

  it("reports every complete packet with its fields", () => {
    const packets = [packet(0, 100, false), packet(1, 0, false), packet(2, 5000, false, 1)];
    const { summary, records, window } = scanBoth(instance, concat(...packets), 1 << 16, false);
    expect(summary).toEqual({ stop: "need-more", count: 3, consumed: packets.reduce((n, p) => n + p.length, 0), needed: 12 });
    expect(records).toEqual([
      [0, 112, 388, 0, 0, 0, 0x40, 0],
      [388, 12, 288, 1, 1, 0, 0x40, 0],
      [676, 5012, 5288, 2, 2, 1, 0x40, 0],
    ]);
    expect(packetIdstr(instance.bytes, window + 388)).toBe(IDSTR);
    // The header fields read in place agree with the scan's records.
    expect(packetHeader(instance.bytes, window + 676)).toEqual({ instanceId: 2, idx: 2, vfioFlags: 1 });
    expect(packetHeader(instance.bytes, window + 388)).toEqual({ instanceId: 1, idx: 1, vfioFlags: 0 });
  });

  it("says how many bytes it needs inside a packet", () => {
    const whole = packet(0, 100, true);
    for (const [cut, needed] of [[0, 12], [5, 7], [12, 264], [280, 8], [300, whole.length - 300]]) {
      const { summary } = scanBoth(instance, whole.subarray(0, cut), 1 << 16, true);
      expect([cut, summary.stop, summary.count, summary.needed]).toEqual([cut, "need-more", 0, needed]);
    }
  });

  it("stops when the results area is full and resumes from `consumed`", () => {
    const stream = concat(...Array.from({ length: MAX_RECORDS + 2 }, (_, i) => packet(i, 10, false)));
    const first = scanBoth(instance, stream, 1 << 16, false);
    expect([first.summary.stop, first.summary.count]).toEqual(["results-full", MAX_RECORDS]);
    const rest = scanBoth(instance, stream.subarray(first.summary.consumed), 1 << 16, false);
    expect([rest.summary.stop, rest.summary.count, rest.records[1][4]]).toEqual(["need-more", 2, MAX_RECORDS + 1]);
  });

  const cases: Array<[string, (p: Uint8Array) => void, string, number, { checksum?: ChecksumOption; maxPayload?: number }?]> = [
    ["bad magic", (p) => (p[3] = 0x45), "ERR_MULTIFD_BAD_MAGIC", 0],
    ["bad version", (p) => (p[7] = 2), "ERR_MULTIFD_BAD_VERSION", 4],
    ["unknown flag bits", (p) => (p[10] = 1), "ERR_MULTIFD_UNKNOWN_FLAGS", 8],
    ["compression", (p) => (p[11] = 0x42), "ERR_MULTIFD_COMPRESSION", 8],
    ["a RAM packet", (p) => (p[11] = 0x00), "ERR_MULTIFD_NOT_DEVICE_STATE", 8],
    ["a zlib RAM packet (not a compressed device state)", (p) => (p[11] = 0x02), "ERR_MULTIFD_NOT_DEVICE_STATE", 8],
    ["SYNC with DEVICE_STATE", (p) => (p[11] = 0x41), "ERR_MULTIFD_SYNC_DEVICE_STATE", 8],
    ["CHECKSUM not negotiated", (p) => (p[11] = 0xc0), "ERR_MULTIFD_CHECKSUM_FLAG", 8],
    ["CHECKSUM missing", (p) => (p[11] = 0x40), "ERR_MULTIFD_CHECKSUM_FLAG", 8, { checksum: true }],
    ["unterminated idstr", (p) => (p[267] = 0x41), "ERR_MULTIFD_IDSTR_UNTERMINATED", 267],
    ["empty packet", (p) => p.fill(0, 272, 276), "ERR_MULTIFD_EMPTY_PACKET", 272],
    ["oversized packet", (p) => (p[273] = 1), "ERR_MULTIFD_PACKET_TOO_LARGE", 272, { maxPayload: 1000 }],
    ["payload under 12 bytes", (p) => (p[275] = 11), "ERR_MULTIFD_PACKET_TOO_SHORT", 272],
    ["VFIO version 1", (p) => (p[279] = 1), "ERR_MULTIFD_VFIO_VERSION", 276],
    ["idx 0xffffffff", (p) => p.fill(0xff, 280, 284), "ERR_MULTIFD_BAD_IDX", 280],
    ["a corrupted data byte", (p) => (p[300] ^= 1), "ERR_MULTIFD_CHECKSUM_MISMATCH", 276 + 112, { checksum: true }],
    ["a corrupted trailer", (p) => (p[p.length - 1] ^= 0x80), "ERR_MULTIFD_CHECKSUM_MISMATCH", 276 + 112, { checksum: true }],
    ["XXH3: CHECKSUM missing", (p) => (p[11] = 0x40), "ERR_MULTIFD_CHECKSUM_FLAG", 8, { checksum: "xxh3" }],
    ["XXH3: a corrupted data byte", (p) => (p[300] ^= 1), "ERR_MULTIFD_CHECKSUM_MISMATCH", 276 + 112, { checksum: "xxh3" }],
    ["XXH3: a corrupted trailer's first byte", (p) => (p[p.length - 8] ^= 1), "ERR_MULTIFD_CHECKSUM_MISMATCH", 276 + 112, { checksum: "xxh3" }],
    ["XXH3: a corrupted trailer's last byte", (p) => (p[p.length - 1] ^= 0x80), "ERR_MULTIFD_CHECKSUM_MISMATCH", 276 + 112, { checksum: "xxh3" }],
  ];
  it.each(cases)("refuses %s with its code and offset, after the good packets before it", (_name, corrupt, code, offset, options = {}) => {
    const checksum = options.checksum ?? false;
    const good = packet(0, 100, checksum);
    const bad = packet(1, 100, checksum);
    corrupt(bad);
    const { summary, reference } = scanBoth(instance, concat(good, bad), options.maxPayload ?? 1 << 16, checksum);
    expect([summary.stop, summary.count, summary.consumed, summary.error?.code, summary.error?.offset]).toEqual(["error", 1, good.length, code, good.length + offset]);
    expect(reference.error).toBeGreaterThan(0);
  });

  it("equals the TypeScript reference on random and corrupted windows", () => {
    for (let round = 0; round < 300; round++) {
      // Every algorithm, with lengths on both sides of XXH3's 240-byte and 1 KiB block boundaries.
      const checksum = (["none", "crc32c", "xxh3"] as const)[(round >> 2) % 3];
      const sizes = Array.from({ length: 1 + (round % 5) }, (_, i) => (round * 131 + i * 977) % 3000);
      const stream = concat(...sizes.map((size, i) => packet(i, size, checksum, i === sizes.length - 1 ? 1 : 0)));
      const noise = seededBytes(8, round + 99);
      // Corrupt one byte: often in the first packet's headers, else anywhere.
      const at = round % 2 === 0 ? (noise[0] * 256 + noise[1]) % 300 : (noise[0] * 256 + noise[1]) % stream.length;
      if (round % 3 !== 0) stream[at] ^= noise[2] | 1;
      const cut = round % 4 === 0 ? stream.length - (noise[3] % 300) : stream.length;
      const { raw, records, reference } = scanBoth(instance, stream.subarray(0, Math.max(0, cut)), 2000 + round * 7, checksum);
      expect({ raw, records }).toEqual({
        raw: [reference.stop, reference.records.length, reference.consumed, reference.needed, reference.error, reference.errorOffset],
        records: reference.records,
      });
    }
  });

  it("checks ahead as a packet's bytes land and reaches the whole scan's verdict", () => {
    expect(instance.exports.checkStateBytes()).toBe(CHECK_AHEAD_BYTES);
    const results = instance.heapBase;
    const ahead = new CheckAhead(instance, results + 1024);
    const window = results + 2048;
    let round = 0;
    for (const checksum of ["crc32c", "xxh3"] as const) {
      const scanner = new MultifdScanner(instance, { results, maxRecords: 1, maxPayloadBytes: 1 << 17, checksum });
      // Payload lengths (12 + data) around XXH3's short paths, its 1 KiB blocks and CRC32C's 4 KiB steps.
      for (const dataLength of [0, 100, 228, 229, 1012, 1013, 4084, 4085, 5000, 70_000]) {
        for (const corrupt of ["none", "early", "tail", "trailer"] as const) {
          round++;
          const bytes = packet(round, dataLength, checksum);
          const noise = seededBytes(4, round);
          const at = { none: -1, early: 288 + (noise[0] % Math.max(1, Math.min(dataLength, 1024))), tail: bytes.length - 9, trailer: bytes.length - 1 }[corrupt];
          if (at >= 0) bytes[at] ^= noise[1] | 1;
          // The same length and slot held another packet before: reset forgets what it covered.
          ahead.reset();
          for (let have = 0; have < bytes.length; ) {
            const n = Math.min(bytes.length - have, 1 + ((noise[2] * 97 + have * 31) % 9000));
            instance.bytes.set(bytes.subarray(have, have + n), window + have);
            have += n;
            if (have < bytes.length) scanner.checkAhead(window, have, ahead);
          }
          const whole = scanner.scanCount(window, bytes.length);
          const finished = scanner.scanCount(window, bytes.length, ahead);
          const again = scanner.scanCount(window, bytes.length, ahead);
          expect([checksum, dataLength, corrupt, finished, again]).toEqual([checksum, dataLength, corrupt, whole, whole]);
          expect([checksum, dataLength, corrupt, whole]).toEqual([checksum, dataLength, corrupt, corrupt === "none" ? 1 : -1]);
        }
      }
    }
  });

  it("refuses a window or results area outside host memory", () => {
    expect(caught(() => new MultifdScanner(instance, { results: 0, maxRecords: 4, maxPayloadBytes: 100, checksum: false })).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => new MultifdScanner(instance, { results: instance.heapBase, maxRecords: 4, maxPayloadBytes: 2 ** 31, checksum: false })).code).toBe("ERR_WIRE_ENCODE");
    const scanner = new MultifdScanner(instance, { results: instance.heapBase, maxRecords: 4, maxPayloadBytes: 100, checksum: false });
    expect(caught(() => scanner.scan(instance.byteLength - 10, 20)).code).toBe("ERR_WIRE_ENCODE");
  });
});
