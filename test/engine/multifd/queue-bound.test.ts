import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../../src/codec/index.js";
import { MultifdReceiver, sendDeviceState } from "../../../src/engine/multifd/index.js";
import { shapeChannel } from "../../../src/transport/shaped.js";
import { VirtualClock } from "../../../src/virtual-clock.js";
import { ArrayDevice, channelPairs, seededBytes, specConfigData, specPacket, type SpecPacket } from "./support.js";

const CHUNK = 4096;
const A = "0000:00:04.0/vfio";
const B = "0000:00:05.0/vfio";

beforeAll(async () => {
  await init();
});

/** Samples the receiver's queued bytes on every device write; each write yields to the host once (readers run meanwhile). */
function sampleQueue(receiver: MultifdReceiver, devices: ArrayDevice[]): { maxBytes: number; maxPackets: Map<string, number> } {
  const seen = { maxBytes: 0, maxPackets: new Map<string, number>() };
  for (const device of devices) {
    const write = device.write.bind(device);
    device.write = async (bytes) => {
      const progress = receiver.progress();
      seen.maxBytes = Math.max(seen.maxBytes, progress.reduce((n, p) => n + p.queuedBytes, 0));
      for (const p of progress) seen.maxPackets.set(p.device, Math.max(seen.maxPackets.get(p.device) ?? 0, p.queuedPackets));
      await new Promise((resolve) => setImmediate(resolve));
      return write(bytes);
    };
  }
  return seen;
}

describe("multifd queue bound", () => {
  it("stops reading a channel at the bound yet never starves the packet a worker needs", async () => {
    const devices = [A, B].map((name) => new ArrayDevice(name, { destination: true }));
    const link = await channelPairs(2, "memory");
    const clock = new VirtualClock();
    const receiver = new MultifdReceiver({ devices, channels: 2, maxChunkBytes: CHUNK, maxQueuedBytes: 2 * CHUNK, clock });
    link.destination.forEach((channel) => receiver.addChannel(channel));
    const seen = sampleQueue(receiver, devices);
    const a = seededBytes(20 * CHUNK, 1);
    const b = seededBytes(3 * CHUNK, 2);
    const packetsOf = (idstr: string, data: Uint8Array): SpecPacket[] => {
      const count = data.length / CHUNK;
      return Array.from({ length: count }, (_, idx): SpecPacket => ({ idstr, idx, data: data.subarray(idx * CHUNK, (idx + 1) * CHUNK) }))
        .concat({ idstr, idx: count, vfioFlags: 1, data: specConfigData(seededBytes(8, 3)) });
    };
    const [aPackets, bPackets] = [packetsOf(A, a), packetsOf(B, b)];
    // Channel 0 carries A's idx 1..config; channel 1 carries all of B, then A's idx 0: A's worker
    // needs a packet that sits behind B's, while channel 0 alone could fill any queue.
    const sent = Promise.all([
      (async () => {
        for (const packet of aPackets.slice(1)) await link.source[0].write(specPacket(packet));
      })(),
      (async () => {
        for (const packet of [...bPackets, aPackets[0]]) await link.source[1].write(specPacket(packet));
      })(),
    ]);
    // Every in-memory read the readers can do, done: then they hold at the bound.
    await clock.settle();
    // Before SWITCHOVER_START, the queue holds at most the bound plus each device's next packet.
    const queued = receiver.progress().reduce((n, p) => n + p.queuedBytes, 0);
    expect(queued).toBeGreaterThanOrEqual(2 * CHUNK);
    expect(queued).toBeLessThanOrEqual(2 * CHUNK + 2 * CHUNK);
    receiver.switchoverStart();
    await receiver.finished();
    await sent;
    expect(devices[0].loaded()).toEqual(a);
    expect(devices[1].loaded()).toEqual(b);
    expect(seen.maxBytes).toBeLessThanOrEqual(2 * CHUNK + 2 * CHUNK);
    // A's 20 data packets never sat in the queue all at once: channel 0 was paused.
    expect(seen.maxPackets.get(A)).toBeLessThanOrEqual(4);
    await link.close();
  });

  it("real senders over TCP: 4 devices, a queue of 4 chunks, slow device writes: no loss, no deadlock", async () => {
    const chunk = 16 * 1024;
    const sources = [0, 1, 2, 3].map((i) => new ArrayDevice(`0000:00:0${i}.0/vfio`, { size: 1024 * 1024 + i * 5000, seed: 30 + i }));
    const destinations = sources.map((s) => new ArrayDevice(s.name, { destination: true }));
    const link = await channelPairs(3, "tcp");
    const receiver = new MultifdReceiver({ devices: destinations, channels: 3, maxChunkBytes: chunk, maxQueuedBytes: 4 * chunk, checksum: true });
    link.destination.forEach((channel) => receiver.addChannel(channel));
    const seen = sampleQueue(receiver, destinations.slice(0, 1));
    receiver.switchoverStart();
    await sendDeviceState(sources, link.source, { maxChunkBytes: chunk, checksum: true });
    await receiver.finished();
    for (let i = 0; i < 4; i++) expect(destinations[i].digest()).toBe(sources[i].digest());
    expect(seen.maxBytes).toBeLessThanOrEqual(4 * chunk + 4 * chunk);
    await link.close();
  }, 60_000);

  it("random devices, channels, chunkings and bounds always complete with every byte in order (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          devices: fc.integer({ min: 1, max: 4 }),
          channels: fc.integer({ min: 1, max: 4 }),
          queueChunks: fc.integer({ min: 1, max: 6 }),
          // At least 256 bytes a read, so a run moves hundreds of packets per device, not tens of thousands.
          readChunk: fc.integer({ min: 256, max: CHUNK }),
          sizes: fc.array(fc.integer({ min: 0, max: 24 * CHUNK }), { minLength: 4, maxLength: 4 }),
          switchoverLate: fc.boolean(),
          latencies: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
        }),
        async ({ devices, channels, queueChunks, readChunk, sizes, switchoverLate, latencies }) => {
          const sources = Array.from({ length: devices }, (_, i) =>
            new ArrayDevice(`0000:00:0${i}.0/vfio`, { size: sizes[i], seed: 50 + i, readChunk }));
          const destinations = sources.map((s) => new ArrayDevice(s.name, { destination: true }));
          const link = await channelPairs(channels, "memory");
          const clock = new VirtualClock();
          const receiver = new MultifdReceiver({ devices: destinations, channels, maxChunkBytes: CHUNK, maxQueuedBytes: queueChunks * CHUNK, clock });
          link.destination.forEach((channel) => receiver.addChannel(channel));
          for (const d of destinations) {
            const write = d.write.bind(d);
            d.write = async (bytes) => {
              await clock.sleep(0); // a slow device: every pending read runs before the write lands
              return write(bytes);
            };
          }
          if (!switchoverLate) receiver.switchoverStart();
          // Channels of different latency make packets overtake each other across channels.
          const shaped = link.source.map((channel, i) => shapeChannel(channel, { latencyMs: latencies[i], clock }));
          const sending = sendDeviceState(sources, shaped, { maxChunkBytes: CHUNK });
          if (switchoverLate) clock.setTimeout(() => receiver.switchoverStart(), 5);
          const both = Promise.all([sending, receiver.finished()]);
          // "idle" would be a deadlock: nothing left that could move the transfer.
          expect(await clock.run(both)).toBe("settled");
          await both;
          destinations.forEach((d, i) => expect(d.loaded()).toEqual(sources[i].content));
          await link.close();
        },
      ),
      // `timeout` fails a run that hangs (a deadlock would), instead of letting the time budget hide it.
      { interruptAfterTimeLimit: 10_000, numRuns: 30, timeout: 10_000 },
    );
  }, 60_000);
});
