import { beforeAll, describe, expect, it } from "vitest";
import { DEVICE_STATE_IDSTR_OFFSET, init } from "../../../src/codec/index.js";
import { sendDeviceState } from "../../../src/engine/multifd/index.js";
import type { Channel } from "../../../src/transport/types.js";
import { concat } from "../../codec/helpers.js";
import { ArrayDevice, specConfigData, specPacket } from "./support.js";

const MiB = 1024 * 1024;

/** A channel that keeps a copy of every byte written to it and never blocks. */
function recordingChannel(name: string): Channel & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    name,
    write: async (bytes) => void chunks.push(bytes.slice()),
    read: async () => 0,
    end: async () => undefined,
    destroy: () => undefined,
    closed: Promise.resolve(),
    bytes: () => concat(...chunks),
  };
}

/** Splits a channel's bytes into packets by their next_packet_size (checksum off). */
function splitPackets(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = 276 + new DataView(bytes.buffer, bytes.byteOffset + at + 272, 4).getUint32(0);
    out.push(bytes.subarray(at, at + length));
    at += length;
  }
  return out;
}

describe("multifd bytes with --checksum none", () => {
  beforeAll(async () => {
    await init();
  });

  // qemu-wire.md section 4: 3 MiB of STOP_COPY data in 1 MiB chunks and a 64-byte config blob give
  // data packets idx 0, 1, 2 and config packet idx 3 with 8 + 64 + 8 = 80 data bytes.
  const NAME = "0000:00:04.0/vfio";

  function expectedPackets(device: ArrayDevice): Uint8Array[] {
    return [0, 1, 2].map((idx) => specPacket({ idstr: NAME, idx, data: device.content.subarray(idx * MiB, (idx + 1) * MiB) }))
      .concat(specPacket({ idstr: NAME, idx: 3, vfioFlags: 1, data: specConfigData(device.config) }));
  }

  it("one channel carries exactly the spec's worked example", async () => {
    const device = new ArrayDevice(NAME, { size: 3 * MiB, configSize: 64, seed: 5 });
    const channel = recordingChannel("multifd/0");
    const report = await sendDeviceState([device], [channel]);
    const expected = expectedPackets(device);
    expect(expected.map((p) => p.length)).toEqual([276 + 12 + MiB, 276 + 12 + MiB, 276 + 12 + MiB, 276 + 12 + 80]);
    const bytes = channel.bytes();
    expect(bytes.length).toBe(expected.reduce((n, p) => n + p.length, 0));
    expect(Buffer.from(bytes).equals(Buffer.concat(expected))).toBe(true);
    // QEMU counts each packet's 12-byte VFIO header in the device's bytes.
    expect(report.devices).toEqual([{ device: NAME, instanceId: 0, bytes: 3 * MiB + 80 + 4 * 12, packets: 4 }]);
    expect(report.channels).toEqual([{ channel: "multifd/0", bytes: bytes.length, packets: 4 }]);
  });

  it("three channels together carry exactly those packets, each whole", async () => {
    const device = new ArrayDevice(NAME, { size: 3 * MiB, configSize: 64, seed: 6 });
    const channels = [0, 1, 2].map((i) => recordingChannel(`multifd/${i}`));
    await sendDeviceState([device], channels);
    const carried = channels.flatMap((channel) => splitPackets(channel.bytes()));
    const byIdx = new Map(carried.map((p) => [new DataView(p.buffer, p.byteOffset + 280, 4).getUint32(0), p]));
    expect(carried.length).toBe(4);
    expectedPackets(device).forEach((packet, idx) => expect(Buffer.from(byIdx.get(idx)!).equals(Buffer.from(packet))).toBe(true));
    expect(channels.filter((channel) => channel.bytes().length > 0).length).toBeGreaterThan(1);
  });

  it("keeps each device on its home channel, and hands a finished device's channel to the device with the most left", async () => {
    const chunk = 4096;
    const sizes = [2 * chunk, 60 * chunk, 12 * chunk];
    const devices = sizes.map((size, i) => new ArrayDevice(`0000:00:0${i}.0/vfio`, { size, seed: 20 + i }));
    const channels = [0, 1, 2].map((i) => recordingChannel(`multifd/${i}`));
    await sendDeviceState(devices, channels, { maxChunkBytes: chunk });
    const idstrs = channels.map((channel) => new Set(splitPackets(channel.bytes()).map((p) => new TextDecoder().decode(p.subarray(DEVICE_STATE_IDSTR_OFFSET, DEVICE_STATE_IDSTR_OFFSET + 17)))));
    // Device 0 finished first; device 1 had more left than device 2, so channel 0 went to device 1
    // (never to device 2); device 2 finished next, and its channel went to device 1 too.
    expect([...idstrs[0]].sort()).toEqual([devices[0].name, devices[1].name]);
    expect([...idstrs[1]]).toEqual([devices[1].name]);
    expect([...idstrs[2]].sort()).toEqual([devices[1].name, devices[2].name]);
  });

  it("with --checksum crc32c sets flag 0x80, appends the payload's be32 CRC32C, and reads 256 KiB a packet", async () => {
    const device = new ArrayDevice(NAME, { size: 3 * MiB, configSize: 64, seed: 7 });
    const channel = recordingChannel("multifd/0");
    await sendDeviceState([device], [channel], { checksum: true });
    const quarter = MiB / 4;
    const expected = Array.from({ length: 12 }, (_, idx) => specPacket({ idstr: NAME, idx, data: device.content.subarray(idx * quarter, (idx + 1) * quarter), checksum: true }))
      .concat(specPacket({ idstr: NAME, idx: 12, vfioFlags: 1, data: specConfigData(device.config), checksum: true }));
    expect(Buffer.from(channel.bytes()).equals(Buffer.concat(expected))).toBe(true);
  });
});
