import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../../src/codec/index.js";
import { MultifdReceiver, sendDeviceState } from "../../../src/engine/multifd/index.js";
import { ArrayDevice, channelPairs, type TransportKind } from "./support.js";

const KiB = 1024;

/** Sends `devices` over `channels` channels and loads them on the other side; returns both ends' reports. */
async function roundTrip(kind: TransportKind, deviceCount: number, channelCount: number, options: { size: number; chunk: number; checksum: boolean; readChunk?: number }) {
  const sources = Array.from({ length: deviceCount }, (_, i) =>
    new ArrayDevice(`0000:00:0${i}.0/vfio`, { size: options.size + i * 777, seed: 10 + i, readChunk: options.readChunk, configSize: 40 + i }));
  const destinations = sources.map((s) => new ArrayDevice(s.name, { destination: true }));
  const link = await channelPairs(channelCount, kind);
  try {
    const receiver = new MultifdReceiver({ devices: destinations, channels: channelCount, checksum: options.checksum, maxChunkBytes: options.chunk, maxQueuedBytes: 8 * options.chunk });
    link.destination.forEach((channel) => receiver.addChannel(channel));
    receiver.switchoverStart();
    const sent = await sendDeviceState(sources, link.source, { checksum: options.checksum, maxChunkBytes: options.chunk });
    const received = await receiver.finished();
    await Promise.all(link.source.map((channel) => channel.end()));
    await receiver.close();
    return { sources, destinations, sent, received };
  } finally {
    await link.close();
  }
}

describe.each<TransportKind>(["memory", "tcp"])("multifd transfer over %s channels", (kind) => {
  beforeAll(async () => {
    await init();
  });

  it.each([
    [1, 1],
    [1, 8],
    [2, 3],
    [4, 2],
    [8, 1],
    [8, 8],
  ])("%i devices over %i channels load byte-identical state and config", async (deviceCount, channelCount) => {
    const { sources, destinations, sent, received } = await roundTrip(kind, deviceCount, channelCount, { size: 300 * KiB, chunk: 16 * KiB, checksum: kind === "tcp" });
    for (let i = 0; i < deviceCount; i++) {
      expect(destinations[i].digest()).toBe(sources[i].digest());
      expect(destinations[i].loadedConfig).toEqual(sources[i].config);
    }
    // Per-device bytes count each packet's 12-byte VFIO header, as QEMU's vfio.transferred does.
    for (const [i, device] of sent.devices.entries()) {
      const dataPackets = Math.ceil(sources[i].content.length / (16 * KiB));
      expect(device.packets).toBe(dataPackets + 1);
      expect(device.bytes).toBe(sources[i].content.length + 16 + sources[i].config.length + 12 * device.packets);
      expect(received.devices[i]).toMatchObject({ device: device.device, bytes: device.bytes, packets: device.packets });
    }
    const sentWire = sent.channels.reduce((sum, c) => sum + c.bytes, 0);
    expect(received.channels.reduce((sum, c) => sum + c.bytes, 0)).toBe(sentWire);
    if (channelCount > 1 && deviceCount * 20 > channelCount) {
      // Packets are spread: every channel carried some.
      expect(sent.channels.every((c) => c.packets > 0)).toBe(true);
    }
  });

  it("writes each device's data in idx order whatever the chunking", async () => {
    const { sources, destinations } = await roundTrip(kind, 3, 4, { size: 100 * KiB, chunk: 8 * KiB, checksum: false, readChunk: 3000 });
    for (let i = 0; i < 3; i++) expect(destinations[i].loaded()).toEqual(sources[i].content);
  });

  it("keeps each device on its home channel, and gives a finished device's channel to the device with the most left", async () => {
    // Device 0 is small and finishes first; device 1 is large. Over 2 channels each starts on its own.
    const chunk = 4 * KiB;
    const sources = [new ArrayDevice("0000:00:00.0/vfio", { size: 2 * chunk, seed: 1 }), new ArrayDevice("0000:00:01.0/vfio", { size: 200 * chunk, seed: 2 })];
    const destinations = sources.map((s) => new ArrayDevice(s.name, { destination: true }));
    const link = await channelPairs(2, kind);
    try {
      const receiver = new MultifdReceiver({ devices: destinations, channels: 2, maxChunkBytes: chunk });
      link.destination.forEach((channel) => receiver.addChannel(channel));
      receiver.switchoverStart();
      const sent = await sendDeviceState(sources, link.source, { maxChunkBytes: chunk });
      await receiver.finished();
      await Promise.all(link.source.map((channel) => channel.end()));
      await receiver.close();
      for (const [i, destination] of destinations.entries()) expect(destination.digest()).toBe(sources[i].digest());
      // Device 0's 3 packets (2 data, 1 config) went on channel 0; then channel 0 carried device 1's too.
      expect(sent.channels[0].packets).toBeGreaterThan(3);
      expect(sent.channels[0].packets + sent.channels[1].packets).toBe(3 + 201);
    } finally {
      await link.close();
    }
  });

  it("moves a device with no stop-copy data (its config packet is idx 0)", async () => {
    const { sources, destinations, sent } = await roundTrip(kind, 2, 2, { size: 0, chunk: 4 * KiB, checksum: true });
    expect(sent.devices.map((d) => d.packets)).toEqual([1, 2]);
    expect(destinations[0].digest()).toBe(sources[0].digest());
    expect(destinations[1].loaded().length).toBe(777);
  });
});
