// The receive path's windows: packets land where the channel's bytes land, whatever the read
// boundaries, and many packets arriving in one read are all found.
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../../src/codec/index.js";
import { MultifdReceiver } from "../../../src/engine/multifd/index.js";
import { ArrayDevice, channelPairs, seededBytes, specConfigData, specPacket, type SpecPacket, type TransportKind } from "./support.js";

const A = "0000:00:04.0/vfio";
const CHUNK = 64;

beforeAll(async () => {
  await init();
});

/** Data packets of the given sizes (0 = a header-only packet, the smallest on the wire), then the config packet. */
function stream(sizes: number[], checksum: boolean, seed: number): { bytes: Uint8Array; data: Uint8Array; config: Uint8Array } {
  const data = seededBytes(sizes.reduce((a, b) => a + b, 0), seed);
  const config = seededBytes(8, seed + 1);
  const packets: SpecPacket[] = [];
  let at = 0;
  for (const [idx, size] of sizes.entries()) {
    packets.push({ idstr: A, idx, data: data.subarray(at, at + size), checksum });
    at += size;
  }
  packets.push({ idstr: A, idx: sizes.length, vfioFlags: 1, data: specConfigData(config), checksum });
  const encoded = packets.map(specPacket);
  const bytes = new Uint8Array(encoded.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of encoded) {
    bytes.set(p, offset);
    offset += p.length;
  }
  return { bytes, data, config };
}

/** Sends `bytes` over one channel in the given pieces and checks the device loaded exactly `data` and `config`. */
async function receiveInPieces(kind: TransportKind, checksum: boolean, s: ReturnType<typeof stream>, cuts: number[]): Promise<void> {
  const device = new ArrayDevice(A, { destination: true });
  const link = await channelPairs(1, kind);
  const receiver = new MultifdReceiver({ devices: [device], channels: 1, maxChunkBytes: CHUNK, maxQueuedBytes: 4 * CHUNK, checksum });
  receiver.addChannel(link.destination[0]);
  receiver.switchoverStart();
  let from = 0;
  for (const cut of [...cuts, s.bytes.length]) {
    await link.source[0].write(s.bytes.slice(from, cut));
    from = cut;
  }
  await link.source[0].end();
  const report = await receiver.finished();
  expect(device.loaded()).toEqual(s.data);
  expect(device.loadedConfig).toEqual(s.config);
  expect(report.channels[0]).toMatchObject({ bytes: s.bytes.length });
  await receiver.close();
  await link.close();
}

describe("multifd receive windows", () => {
  for (const checksum of [false, true]) {
    it(`loads a stream split in two around every field and packet boundary (checksum ${checksum ? "on" : "off"})`, async () => {
      // A smallest packet, a short one and a full one, then the config packet.
      const sizes = [0, 5, CHUNK];
      const s = stream(sizes, checksum, 1);
      const wire = (size: number) => 288 + size + (checksum ? 4 : 0);
      const packetStarts = sizes.reduce((starts, size) => [...starts, starts.at(-1)! + wire(size)], [0]);
      // Header fields of the first packet: flags, idstr, instance, size, VFIO version, idx, VFIO flags, data.
      const boundaries = [...[4, 8, 12, 268, 272, 276, 280, 284, 288], ...packetStarts, s.bytes.length - (checksum ? 4 : 0)];
      const cuts = new Set<number>();
      for (const b of boundaries) for (let d = -2; d <= 2; d++) if (b + d > 0 && b + d < s.bytes.length) cuts.add(b + d);
      for (const cut of cuts) await receiveInPieces("memory", checksum, s, [cut]);
    });
  }

  it("loads a stream arriving one byte at a time", async () => {
    const s = stream([3, 0, CHUNK], true, 2);
    await receiveInPieces("memory", true, s, Array.from({ length: s.bytes.length - 1 }, (_, i) => i + 1));
  });

  for (const kind of ["memory", "tcp"] as const) {
    it(`finds every packet when many arrive in one write (${kind}, checksum on and off)`, async () => {
      for (const checksum of [false, true]) {
        const sizes = Array.from({ length: 200 }, (_, i) => (i * 37) % (CHUNK + 1));
        await receiveInPieces(kind, checksum, stream(sizes, checksum, 3), []);
      }
    });
  }
});
