import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createInstance, decodeMultifdConfigData, encodeMultifdHello, init, ReorderIndex, reorderStateBytes, StreamDecoder,
  WireFormatError, type ChecksumOption, type MultifdRecord,
} from "../../src/codec/index.js";
import { FLAVORS } from "../support/flavors.js";
import { IDSTR, multifdStreamFixture } from "./fixtures.js";
import { caught, concat } from "./helpers.js";

type Packet = Extract<MultifdRecord, { type: "packet" }>;
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

function decode(pieces: Uint8Array[], options: { checksum?: ChecksumOption; maxPacketBytes?: number } = {}) {
  const decoder = new StreamDecoder({ kind: "multifd", subject: "multifd/0", channels: 4, ...options });
  const out: Array<Record<string, unknown>> = [];
  for (const piece of pieces) {
    decoder.push(piece);
    for (const record of decoder.records()) out.push(record.type === "packet" ? { ...record, data: hexOf(record.data) } : { ...record });
  }
  decoder.end();
  return out;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe.each(FLAVORS)("StreamDecoder, multifd channel (%s build)", (flavor) => {
  beforeAll(async () => {
    await init({ flavor });
  });

  it("decodes the hello and every packet", () => {
    const fixture = multifdStreamFixture({ checksum: true, channelId: 2 });
    const records = decode([fixture.bytes], { checksum: true });
    expect(records[0]).toEqual({ type: "hello", offset: 0, uuid: new Uint8Array(16), channelId: 2 });
    const packets = records.slice(1) as unknown as Array<Packet & { data: string }>;
    expect(packets.map((p) => [p.offset, p.idstr, p.instanceId, p.idx, p.flags, p.packetFlags])).toEqual([
      [64, IDSTR, 0, 0, 0, 0xc0],
      [64 + 4388, IDSTR, 0, 1, 0, 0xc0],
      [64 + 2 * 4388, IDSTR, 0, 2, 0, 0xc0],
      [64 + 3 * 4388, IDSTR, 0, 3, 1, 0xc0],
    ]);
    expect(packets.slice(0, 3).map((p) => p.data)).toEqual(fixture.data.map(hexOf));
    expect(packets.every((p) => typeof p.checksum === "number")).toBe(true);
  });

  it("decodes XXH3-checked packets, each with its be64 trailer", () => {
    const fixture = multifdStreamFixture({ checksum: "xxh3" });
    const packets = decode([fixture.bytes], { checksum: "xxh3" }).slice(1) as unknown as Array<Packet & { data: string }>;
    expect(packets.map((p) => [p.offset, p.idx, p.packetFlags])).toEqual([
      [64, 0, 0xc0],
      [64 + 4392, 1, 0xc0],
      [64 + 2 * 4392, 2, 0xc0],
      [64 + 3 * 4392, 3, 0xc0],
    ]);
    expect(packets.slice(0, 3).map((p) => p.data)).toEqual(fixture.data.map(hexOf));
    // Read as CRC32C, the same bytes are misframed: the algorithm is part of the negotiated setup.
    expect(caught(() => decode([fixture.bytes], { checksum: "crc32c" })).code).toMatch(/^ERR_MULTIFD_/);
  });

  it("gives the same records for the stream split at every point", () => {
    const fixture = multifdStreamFixture({ chunks: 2, chunkBytes: 200 });
    const whole = decode([fixture.bytes]);
    expect(whole.length).toBe(4);
    for (let cut = 0; cut <= fixture.bytes.length; cut++) expect(decode(splitAt(fixture.bytes, [cut]))).toEqual(whole);
  });

  it("gives the same records for random splits (fast-check)", () => {
    const fixture = multifdStreamFixture({ chunks: 4, chunkBytes: 3000, checksum: true });
    const whole = decode([fixture.bytes], { checksum: true });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: fixture.bytes.length }), { maxLength: 30 }), (cuts) => {
        expect(decode(splitAt(fixture.bytes, cuts), { checksum: true })).toEqual(whole);
      }),
      { interruptAfterTimeLimit: 3000, numRuns: 300 },
    );
  });

  it("refuses a stream truncated inside the hello or a packet", () => {
    const fixture = multifdStreamFixture({ chunks: 1, chunkBytes: 100 });
    const boundaries = new Set([64, 64 + fixture.packets[0].length, fixture.bytes.length]);
    for (let length = 0; length < fixture.bytes.length; length++) {
      if (boundaries.has(length)) continue;
      const err = caught(() => decode([fixture.bytes.subarray(0, length)]));
      expect([length, err.code, err.offset]).toEqual([length, "ERR_WIRE_TRUNCATED", length]);
    }
    expect(decode([fixture.bytes.subarray(0, 64)]).length).toBe(1);
  });

  it("delivers the good packets before a bad one, then its error", () => {
    const fixture = multifdStreamFixture({ chunks: 2, chunkBytes: 100 });
    const bytes = fixture.bytes.slice();
    bytes[64 + fixture.packets[0].length + 279] = 1;
    const decoder = new StreamDecoder({ kind: "multifd" });
    decoder.push(bytes);
    expect(decoder.next().type).toBe("hello");
    expect(decoder.next()).toMatchObject({ type: "packet", idx: 0 });
    const err = caught(() => decoder.next());
    expect([err.code, err.offset]).toEqual(["ERR_MULTIFD_VFIO_VERSION", 64 + fixture.packets[0].length + 276]);
  });

  it("refuses a bad hello and a packet over maxPacketBytes", () => {
    expect(caught(() => decode([encodeMultifdHello({ channelId: 4 })])).code).toBe("ERR_MULTIFD_BAD_CHANNEL_ID");
    const fixture = multifdStreamFixture({ chunks: 1, chunkBytes: 5000 });
    const err = caught(() => decode([fixture.bytes], { maxPacketBytes: 4096 }));
    expect([err.code, err.offset, err.message.startsWith("multifd/0: ")]).toEqual(["ERR_MULTIFD_PACKET_TOO_LARGE", 64 + 272, true]);
  });

  it.each(["crc32c", "xxh3"] as const)("with %s checksums, detects every corrupted payload byte; other corruptions are typed errors or idstr/instance changes (fast-check)", (checksum) => {
    const fixture = multifdStreamFixture({ chunks: 2, chunkBytes: 500, checksum });
    const whole = decode([fixture.bytes], { checksum });
    const ignoreNames = (records: Array<Record<string, unknown>>) => records.map(({ idstr: _i, instanceId: _n, ...rest }) => rest);
    fc.assert(
      fc.property(fc.integer({ min: 64, max: fixture.bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bytes = fixture.bytes.slice();
        bytes[at] ^= flip;
        let records: Array<Record<string, unknown>>;
        try {
          records = decode([bytes], { checksum });
        } catch (err) {
          expect(err).toBeInstanceOf(WireFormatError);
          return;
        }
        const inPacket = (at - 64) % fixture.packets[0].length;
        expect(inPacket >= 12 && inPacket < 272).toBe(true);
        expect(ignoreNames(records)).toEqual(ignoreNames(whole));
      }),
      { interruptAfterTimeLimit: 1500, numRuns: 1000 },
    );
  });

  it("reassembles a device's bytes from packets dealt over channels in any order, and refuses duplicates (fast-check)", () => {
    const fixture = multifdStreamFixture({ chunks: 12, chunkBytes: 256 });
    const packets = fixture.packets;
    const instance = createInstance(reorderStateBytes(64) + 64, flavor);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(packets.map((_, i) => i), { minLength: packets.length, maxLength: packets.length }),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 0, max: packets.length - 1 }), { nil: undefined }),
        (order, channels, duplicate) => {
          const sent = duplicate === undefined ? order : [...order, duplicate];
          const decoders = Array.from({ length: channels }, (_, channelId) => {
            const decoder = new StreamDecoder({ kind: "multifd", channels });
            decoder.push(encodeMultifdHello({ channelId }));
            return decoder;
          });
          sent.forEach((p, i) => decoders[i % channels].push(packets[p]));
          const index = new ReorderIndex(instance, instance.heapBase, 64, IDSTR);
          const held = new Map<number, Uint8Array>();
          const written: Uint8Array[] = [];
          let config: Uint8Array | undefined;
          const arrivals = decoders.flatMap((d) => [...d.records()].filter((r): r is Packet => r.type === "packet"));
          const receive = () => {
            for (const packet of arrivals) {
              index.record(packet.idx, packet.idx);
              held.set(packet.idx, packet.data);
              const run = index.run();
              for (let i = 0; i < run; i++) {
                const idx = index.handle(index.next + i);
                if (idx === fixture.data.length) config = decodeMultifdConfigData(held.get(idx)!);
                else written.push(held.get(idx)!);
              }
              index.advance(run);
            }
          };
          if (duplicate !== undefined) {
            expect(caught(receive).code).toBe("ERR_REORDER_DUPLICATE");
            return;
          }
          receive();
          expect(hexOf(concat(...written))).toBe(hexOf(concat(...fixture.data)));
          expect(config && hexOf(config)).toBe(hexOf(fixture.blob));
          decoders.forEach((d) => d.end());
        },
      ),
      { interruptAfterTimeLimit: 3000, numRuns: 300 },
    );
  });
});
