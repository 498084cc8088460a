import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../../src/codec/index.js";
import { MultifdError, MultifdReceiver, type MultifdReceiveOptions } from "../../../src/engine/multifd/index.js";
import type { Channel } from "../../../src/transport/types.js";
import { VirtualClock } from "../../../src/virtual-clock.js";
import { ArrayDevice, channelPairs, seededBytes, shuffle, specConfigData, specPacket, type SpecPacket } from "./support.js";

const A = "0000:00:04.0/vfio";
const B = "0000:00:05.0/vfio";
const CHUNK = 4096;

beforeAll(async () => {
  await init();
});

/** A device's packets: `count` data chunks idx 0.., then its config packet. */
function devicePackets(idstr: string, count: number, seed: number, checksum = false): { packets: SpecPacket[]; data: Uint8Array; config: Uint8Array } {
  const data = seededBytes(count * CHUNK - 100, seed);
  const config = seededBytes(48, seed + 1);
  const packets: SpecPacket[] = [];
  for (let idx = 0; idx < count; idx++) packets.push({ idstr, idx, data: data.subarray(idx * CHUNK, (idx + 1) * CHUNK), checksum });
  packets.push({ idstr, idx: count, vfioFlags: 1, data: specConfigData(config), checksum });
  return { packets, data, config };
}

interface Harness {
  receiver: MultifdReceiver;
  /** The receiver's clock: nothing here reads wall time; `settle()` lets every in-memory read and write run. */
  clock: VirtualClock;
  devices: ArrayDevice[];
  senders: Channel[];
  close(): Promise<void>;
}

async function harness(channelCount: number, options: Partial<MultifdReceiveOptions> & { names?: string[] } = {}): Promise<Harness> {
  const devices = (options.names ?? [A, B]).map((name) => new ArrayDevice(name, { destination: true }));
  const link = await channelPairs(channelCount, "memory");
  const clock = new VirtualClock();
  const receiver = new MultifdReceiver({ devices, channels: channelCount, maxChunkBytes: CHUNK, clock, ...options });
  link.destination.forEach((channel) => receiver.addChannel(channel));
  return { receiver, clock, devices, senders: link.source, close: link.close };
}

/** Writes packets to channels as dealt: `deal[i]` is the channel of packet i. */
async function deliver(senders: Channel[], packets: SpecPacket[], deal: (i: number) => number): Promise<void> {
  await Promise.all(
    senders.map(async (channel, c) => {
      for (const [i, packet] of packets.entries()) if (deal(i) === c) await channel.write(specPacket(packet));
    }),
  );
}

async function expectFailure(promise: Promise<unknown>, code: string, place: { device?: string; channel?: string; idx?: number }) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MultifdError);
  const failure = error as MultifdError;
  expect(failure.code).toBe(code);
  // The device comes first, as in QEMU's messages; without one, the channel does.
  if (place.device) expect(failure.message.startsWith(`${place.device}: `)).toBe(true);
  if (place.device && place.channel) expect(failure.message).toContain(`channel ${place.channel}`);
  if (!place.device && place.channel) expect(failure.message.startsWith(`${place.channel}: `)).toBe(true);
  if (place.idx !== undefined) expect(failure.message).toContain(`idx ${place.idx}`);
  expect(failure).toMatchObject(place);
}

describe("multifd reassembly", () => {
  it("without a checksum, writes a packet's data to the device as it lands, before the packet is complete", async () => {
    const h = await harness(1);
    h.receiver.switchoverStart();
    const a = devicePackets(A, 2, 7);
    const first = specPacket(a.packets[0]);
    // The headers (288 bytes) and 1000 bytes of data, then nothing yet.
    await h.senders[0].write(first.subarray(0, 288 + 1000));
    await h.clock.settle();
    expect(h.devices[0].loaded()).toEqual(a.data.subarray(0, 1000));
    expect(h.receiver.progress()[0].writtenBytes).toBe(0);
    await h.senders[0].write(first.subarray(288 + 1000));
    for (const packet of a.packets.slice(1)) await h.senders[0].write(specPacket(packet));
    for (const packet of devicePackets(B, 1, 8).packets) await h.senders[0].write(specPacket(packet));
    await h.receiver.finished();
    expect(h.devices[0].loaded()).toEqual(a.data);
    expect(h.devices[0].loadedConfig).toEqual(a.config);
    await h.close();
  });

  it("with a checksum, writes nothing of a packet before all of it arrived and its check passed", async () => {
    const h = await harness(1, { checksum: true });
    h.receiver.switchoverStart();
    const a = devicePackets(A, 2, 7, true);
    const first = specPacket(a.packets[0]);
    await h.senders[0].write(first.subarray(0, 288 + 1000));
    await h.clock.settle();
    expect(h.devices[0].loaded().length).toBe(0);
    await h.senders[0].write(first.subarray(288 + 1000));
    await h.clock.settle();
    expect(h.devices[0].loaded()).toEqual(a.data.subarray(0, CHUNK));
    await h.close();
  });

  it("does not let a duplicate of the next packet, landing on another channel, reach the device", async () => {
    const h = await harness(2);
    h.receiver.switchoverStart();
    const a = devicePackets(A, 2, 7);
    const original = specPacket(a.packets[0]);
    const duplicate = specPacket({ ...a.packets[0], data: seededBytes(CHUNK, 99) });
    await h.senders[0].write(original.subarray(0, 288 + 1000));
    await h.clock.settle();
    await h.senders[1].write(duplicate.subarray(0, 288 + 2000));
    await h.clock.settle();
    // Only the first packet's bytes reached the device.
    expect(h.devices[0].loaded()).toEqual(a.data.subarray(0, 1000));
    await h.senders[0].write(original.subarray(288 + 1000));
    await h.senders[1].write(duplicate.subarray(288 + 2000));
    await expectFailure(h.receiver.finished(), "ERR_REORDER_DUPLICATE", { device: A, idx: 0 });
    await h.close();
  });

  it.each([1, 2, 3, 4, 5])("loads packets dealt across 3 channels in random order (seed %i)", async (seed) => {
    const h = await harness(3);
    const a = devicePackets(A, 7, 100 + seed);
    const b = devicePackets(B, 4, 200 + seed);
    const packets = shuffle([...a.packets, ...b.packets], seed);
    const channelOf = packets.map((_, i) => (i * 7 + seed) % 3);
    await deliver(h.senders, packets, (i) => channelOf[i]);
    // Everything arrived before SWITCHOVER_START: once all of it is queued, nothing is written yet.
    await h.clock.settle();
    expect(h.receiver.progress().map((p) => [p.phase, p.queuedPackets])).toEqual([["queued", 8], ["queued", 5]]);
    expect(h.devices[0].writes).toEqual([]);
    h.receiver.switchoverStart();
    const report = await h.receiver.finished();
    expect(h.devices[0].loaded()).toEqual(a.data);
    expect(h.devices[1].loaded()).toEqual(b.data);
    expect(h.devices[0].loadedConfig).toEqual(a.config);
    expect(h.devices[1].loadedConfig).toEqual(b.config);
    expect(report.devices.map((d) => d.packets)).toEqual([8, 5]);
    expect(h.receiver.progress().every((p) => p.phase === "done" && p.queuedBytes === 0)).toBe(true);
    await h.close();
  });

  it("waits (starved) for a missing idx, then finishes when it arrives", async () => {
    const phases: string[] = [];
    const h = await harness(2, { names: [A], onPhase: (p) => phases.push(`${p.phase}@${p.nextIdx}`) });
    const a = devicePackets(A, 4, 7);
    h.receiver.switchoverStart();
    await deliver(h.senders, a.packets.filter((p) => p.idx !== 2), (i) => i % 2);
    await h.clock.settle();
    expect(h.receiver.progress()[0]).toMatchObject({ phase: "starved", nextIdx: 2, queuedPackets: 2 });
    expect(h.devices[0].loaded().length).toBe(2 * CHUNK);
    await h.clock.advance(40); // starved for 40 virtual ms
    await h.senders[1].write(specPacket(a.packets[2]));
    await h.receiver.finished();
    expect(h.devices[0].loaded()).toEqual(a.data);
    expect(h.receiver.progress()[0].starvedMs).toBe(40);
    expect(phases).toContain("starved@2");
    expect(phases.at(-1)).toBe("done@5");
    await h.close();
  });

  it("a missing idx never arriving: the worker waits until cancelled, then finished() rejects", async () => {
    const h = await harness(2, { names: [A] });
    const a = devicePackets(A, 3, 8);
    h.receiver.switchoverStart();
    await deliver(h.senders, a.packets.filter((p) => p.idx !== 0), (i) => i % 2);
    await h.clock.settle();
    expect(h.receiver.progress()[0].phase).toBe("starved");
    h.receiver.abort(new Error("test cancels"));
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_CANCELLED", {});
    expect(h.receiver.progress()[0].phase).toBe("failed");
    // close() waits for every reader and worker, then reports the failure.
    await expectFailure(h.receiver.close(), "ERR_MULTIFD_CANCELLED", {});
    await h.close();
  });

  it("refuses a duplicate idx still queued", async () => {
    const h = await harness(2, { names: [A] });
    const a = devicePackets(A, 3, 9);
    await h.senders[0].write(specPacket(a.packets[1]));
    await h.clock.settle();
    expect(h.receiver.progress()[0].queuedPackets).toBe(1);
    await h.senders[1].write(specPacket(a.packets[1]));
    await expectFailure(h.receiver.finished(), "ERR_REORDER_DUPLICATE", { device: A, channel: "multifd/1", idx: 1 });
    await h.close();
  });

  it("refuses a duplicate of an idx already written to the device", async () => {
    const h = await harness(1, { names: [A] });
    const a = devicePackets(A, 3, 10);
    h.receiver.switchoverStart();
    await h.senders[0].write(specPacket(a.packets[0]));
    await h.senders[0].write(specPacket(a.packets[1]));
    await h.clock.settle();
    expect(h.receiver.progress()[0].nextIdx).toBe(2);
    await h.senders[0].write(specPacket(a.packets[0]));
    await expectFailure(h.receiver.finished(), "ERR_REORDER_DUPLICATE", { device: A, channel: "multifd/0", idx: 0 });
    await h.close();
  });

  it("refuses data after the config packet", async () => {
    const h = await harness(1, { names: [A] });
    const a = devicePackets(A, 2, 11);
    await deliver(h.senders, [a.packets[2], { idstr: A, idx: 3, data: seededBytes(10, 1) }], () => 0);
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_DATA_AFTER_CONFIG", { device: A, channel: "multifd/0", idx: 3 });
    await h.close();
  });

  it("refuses a config packet with an idx below data already received", async () => {
    const h = await harness(1, { names: [A] });
    const a = devicePackets(A, 2, 12);
    await deliver(h.senders, [{ idstr: A, idx: 5, data: seededBytes(10, 1) }, a.packets[2]], () => 0);
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_DATA_AFTER_CONFIG", { device: A, idx: 2 });
    await h.close();
  });

  it("refuses a second config packet", async () => {
    const h = await harness(2, { names: [A] });
    const a = devicePackets(A, 2, 13);
    await deliver(h.senders, [a.packets[2], { ...a.packets[2], idx: 3 }], (i) => i);
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_SECOND_CONFIG", { device: A, channel: "multifd/1", idx: 3 });
    await h.close();
  });

  it.each([
    ["no DEV_CONFIG_STATE at the start", specConfigData(seededBytes(8, 1)).map((b, i) => (i === 7 ? b ^ 1 : b))],
    ["no END_OF_STATE at the end", specConfigData(seededBytes(8, 1)).subarray(0, 20)],
    ["shorter than its markers", new Uint8Array(4)],
  ])("refuses a config packet with %s", async (_what, data) => {
    const h = await harness(1, { names: [A] });
    h.receiver.switchoverStart();
    await h.senders[0].write(specPacket({ idstr: A, idx: 0, vfioFlags: 1, data }));
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_BAD_CONFIG", { device: A, channel: "multifd/0", idx: 0 });
    await h.close();
  });

  it.each<[string, Partial<SpecPacket>, string, { device?: string; idx?: number }]>([
    ["idx 0xffffffff", { idx: 0xffffffff }, "ERR_MULTIFD_BAD_IDX", { device: A, idx: 0xffffffff }],
    ["VFIO version 1", { vfioVersion: 1 }, "ERR_MULTIFD_VFIO_VERSION", { device: A, idx: 0 }],
    ["a payload under 12 bytes", { nextPacketSize: 11 }, "ERR_MULTIFD_PACKET_TOO_SHORT", { device: A }],
    ["an empty packet", { nextPacketSize: 0 }, "ERR_MULTIFD_EMPTY_PACKET", { device: A }],
    ["a payload over the bound", { nextPacketSize: 12 + CHUNK + 1 }, "ERR_MULTIFD_PACKET_TOO_LARGE", { device: A }],
    ["SYNC with DEVICE_STATE", { packetFlags: 0x41 }, "ERR_MULTIFD_SYNC_DEVICE_STATE", {}],
    ["an unterminated idstr", { idstrField: new Uint8Array(256).fill(0x41) }, "ERR_MULTIFD_IDSTR_UNTERMINATED", {}],
    ["an unknown device", { idstr: "0000:00:09.0/vfio" }, "ERR_MULTIFD_UNKNOWN_DEVICE", { device: "0000:00:09.0/vfio", idx: 0 }],
    ["an unknown instance id", { instanceId: 1 }, "ERR_MULTIFD_UNKNOWN_DEVICE", { device: A, idx: 0 }],
    ["a device not in multifd mode", { idstr: B }, "ERR_MULTIFD_NOT_MULTIFD", { device: B, idx: 0 }],
  ])("refuses %s, naming the channel", async (_what, change, code, place) => {
    const h = await harness(2, { names: [A], otherDevices: [new ArrayDevice(B, { destination: true })] });
    await h.senders[1].write(specPacket({ idstr: A, idx: 0, data: seededBytes(100, 3), ...change }));
    await expectFailure(h.receiver.finished(), code, { ...place, channel: "multifd/1" });
    await h.close();
  });

  it("refuses a packet whose CRC32C does not match, naming device, channel and idx", async () => {
    const h = await harness(2, { names: [A], checksum: true });
    const a = devicePackets(A, 3, 14, true);
    const corrupt = specPacket(a.packets[1]);
    corrupt[288 + 1000] ^= 0x10;
    await h.senders[0].write(specPacket(a.packets[0]));
    await h.senders[1].write(corrupt);
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_CHECKSUM_MISMATCH", { device: A, channel: "multifd/1", idx: 1 });
    await h.close();
  });

  it("refuses a channel that ends inside a packet", async () => {
    const h = await harness(1, { names: [A] });
    await h.senders[0].write(specPacket({ idstr: A, idx: 0, data: seededBytes(100, 3) }).subarray(0, 200));
    await h.senders[0].end();
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_TRUNCATED", { channel: "multifd/0" });
    await h.close();
  });

  it("fails when every channel ends before all device state arrived", async () => {
    const h = await harness(2, { names: [A] });
    const a = devicePackets(A, 3, 15);
    h.receiver.switchoverStart();
    await deliver(h.senders, a.packets.filter((p) => p.idx !== 1), (i) => i % 2);
    await Promise.all(h.senders.map((channel) => channel.end()));
    await expectFailure(h.receiver.finished(), "ERR_MULTIFD_INCOMPLETE", {});
    await h.close();
  });

  it("reports a source gone before any device state (every channel ended empty) as the peer closing, not as missing data", async () => {
    const h = await harness(2, { names: [A] });
    await Promise.all(h.senders.map((channel) => channel.end()));
    const error = await h.receiver.finished().then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_PEER_CLOSED", message: "multifd: peer closed the channel during pre-copy: every multifd channel ended before any device state" });
    await h.close();
  });
});
