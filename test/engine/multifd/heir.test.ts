import { beforeAll, expect, it } from "vitest";
import { init } from "../../../src/codec/index.js";
import { MultifdReceiver, sendDeviceState } from "../../../src/engine/multifd/index.js";
import { shapeChannel } from "../../../src/transport/shaped.js";
import { VirtualClock } from "../../../src/virtual-clock.js";
import { ArrayDevice, channelPairs } from "./support.js";

const CHUNK = 4096;
/** Each connection's own cap, as on a network where a single TCP flow cannot fill the link. */
const PER_CHANNEL = 1_000_000;

beforeAll(async () => {
  await init();
});

/** Virtual ms to move a small and a large device over two channels capped at PER_CHANNEL each. */
async function transfer(): Promise<{ ms: number; channels: number[]; largeBytes: number }> {
  const sources = [new ArrayDevice("0000:00:00.0/vfio", { size: 8 * CHUNK, seed: 1 }), new ArrayDevice("0000:00:01.0/vfio", { size: 200 * CHUNK, seed: 2 })];
  const destinations = sources.map((s) => new ArrayDevice(s.name, { destination: true }));
  const link = await channelPairs(2, "memory");
  const clock = new VirtualClock();
  const receiver = new MultifdReceiver({ devices: destinations, channels: 2, maxChunkBytes: CHUNK, clock });
  link.destination.forEach((channel) => receiver.addChannel(channel));
  receiver.switchoverStart();
  const shaped = link.source.map((channel) => shapeChannel(channel, { bandwidth: PER_CHANNEL, clock }));
  const sending = sendDeviceState(sources, shaped, { maxChunkBytes: CHUNK });
  expect(await clock.run(Promise.all([sending, receiver.finished()]))).toBe("settled");
  destinations.forEach((d, i) => expect(d.loaded()).toEqual(sources[i].content));
  const sent = await sending;
  await link.close();
  return { ms: clock.now(), channels: sent.channels.map((c) => c.bytes), largeBytes: sent.devices[1].bytes };
}

it("gives a finished device's channel to the one still sending, so a large device is not held to one connection's rate", async () => {
  const { ms, channels, largeBytes } = await transfer();
  const total = channels[0] + channels[1];
  // On its home channel alone the large device would need at least its bytes / PER_CHANNEL; with the
  // small device's channel once that one is done, the transfer takes little more than half of that.
  const aloneMs = (largeBytes / PER_CHANNEL) * 1000;
  expect(ms).toBeLessThan(0.6 * aloneMs);
  // And no faster than both channels full all along.
  expect(ms).toBeGreaterThanOrEqual((total / (2 * PER_CHANNEL)) * 1000 * 0.99);
  // Channel 0 carried far more than the small device's 9 packets.
  expect(channels[0]).toBeGreaterThan(0.4 * total);
});
