import { beforeAll, describe, expect, it } from "vitest";
import {
  createInstance, crc32c, DEVICE_STATE_DATA_OFFSET, decodeMultifdConfigData, decodeMultifdHello, deviceStatePacketBytes,
  encodeDeviceStatePacket, encodeMultifdConfigData, encodeMultifdHello, frameDeviceStatePacket, init,
} from "../../src/codec/index.js";
import { frameDeviceStateReference } from "../../src/codec/reference/frame.js";
import { FLAVORS } from "../support/flavors.js";
import { caught, expectBytes, seededBytes, toHex } from "./helpers.js";

const IDSTR = "0000:00:04.0/vfio";

describe("multifd hello", () => {
  beforeAll(async () => {
    await init();
  });

  it("is 64 bytes: magic, version, uuid, channel id, zeros", () => {
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const hello = encodeMultifdHello({ uuid, channelId: 3 });
    expect(hello.length).toBe(64);
    expect(toHex(hello.subarray(0, 32))).toBe("11 22 33 44 00 00 00 01 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 03 00 00 00 00 00 00 00");
    expect(hello.subarray(32).every((b) => b === 0)).toBe(true);
    expect(decodeMultifdHello(hello, { uuid, channels: 4 })).toEqual({ uuid, channelId: 3 });
  });

  it("checks magic, version, uuid and channel id, with offsets", () => {
    const good = encodeMultifdHello({ channelId: 1 });
    const bad = (at: number, value: number) => Uint8Array.from(good, (b, i) => (i === at ? value : b));
    expect(caught(() => decodeMultifdHello(bad(0, 0x12))).code).toBe("ERR_MULTIFD_BAD_MAGIC");
    const version = caught(() => decodeMultifdHello(bad(7, 2)));
    expect([version.code, version.offset]).toEqual(["ERR_MULTIFD_BAD_VERSION", 4]);
    const uuid = caught(() => decodeMultifdHello(bad(20, 1), { subject: "multifd/0", uuid: new Uint8Array(16) }));
    expect([uuid.code, uuid.offset]).toEqual(["ERR_MULTIFD_BAD_UUID", 8]);
    expect(uuid.message).toMatch(/^multifd\/0: /);
    expect(caught(() => decodeMultifdHello(good, { channels: 1 })).code).toBe("ERR_MULTIFD_BAD_CHANNEL_ID");
    expect(decodeMultifdHello(good, { channels: 2 }).channelId).toBe(1);
    expect(caught(() => decodeMultifdHello(good.subarray(0, 63))).code).toBe("ERR_WIRE_TRUNCATED");
  });

  it("accepts and reports any uuid when none is expected (a tool reading a capture)", () => {
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    expect(decodeMultifdHello(encodeMultifdHello({ uuid, channelId: 0 })).uuid).toEqual(uuid);
  });
});

describe("config packet data", () => {
  it("is DEV_CONFIG_STATE, the blob, END_OF_STATE, and decodes back", () => {
    const blob = seededBytes(64, 7);
    const data = encodeMultifdConfigData(blob);
    expect(data.length).toBe(80);
    expect(toHex(data.subarray(0, 8))).toBe("ff ff ff ff ef 10 00 02");
    expect(toHex(data.subarray(72))).toBe("ff ff ff ff ef 10 00 01");
    expect(decodeMultifdConfigData(data)).toEqual(blob);
  });

  it("refuses data without its markers", () => {
    const data = encodeMultifdConfigData(new Uint8Array(4));
    expect(caught(() => decodeMultifdConfigData(data.subarray(1))).code).toBe("ERR_MULTIFD_BAD_CONFIG");
    expect(caught(() => decodeMultifdConfigData(data.subarray(0, data.length - 1))).code).toBe("ERR_MULTIFD_BAD_CONFIG");
    expect(caught(() => decodeMultifdConfigData(new Uint8Array(15))).code).toBe("ERR_MULTIFD_BAD_CONFIG");
  });
});

describe.each(FLAVORS)("device-state packet framing (%s build)", (flavor) => {
  beforeAll(async () => {
    await init({ flavor });
  });

  it("frames the spec's worked example: 3 MiB in 1 MiB chunks, then an 80-byte config packet", () => {
    const MiB = 1 << 20;
    const device = seededBytes(3 * MiB, 42);
    const config = encodeMultifdConfigData(seededBytes(64, 9));
    const chunks = [device.subarray(0, MiB), device.subarray(MiB, 2 * MiB), device.subarray(2 * MiB), config];
    const packets = chunks.map((data, idx) => encodeDeviceStatePacket({ idstr: IDSTR, instanceId: 0, idx, flags: idx === 3 ? 1 : 0, data, checksum: false }));
    expect(packets.map((p) => p.length)).toEqual([276 + 12 + MiB, 276 + 12 + MiB, 276 + 12 + MiB, 276 + 12 + 80]);
    const last = packets[3];
    expect(toHex(last.subarray(0, 12))).toBe("11 22 33 44 00 00 00 01 00 00 00 40");
    expect(new TextDecoder().decode(last.subarray(12, 12 + IDSTR.length))).toBe(IDSTR);
    expect(last.subarray(12 + IDSTR.length, 268).every((b) => b === 0)).toBe(true);
    expect(toHex(last.subarray(268, 276))).toBe("00 00 00 00 00 00 00 5c");
    expect(toHex(last.subarray(276, 288))).toBe("00 00 00 00 00 00 00 03 00 00 00 01");
    expect(last.subarray(288)).toEqual(config);
    expect(toHex(packets[1].subarray(276, 288))).toBe("00 00 00 00 00 00 00 01 00 00 00 00");
    expectBytes(packets[2].subarray(288), device.subarray(2 * MiB));
  });

  it("adds the CHECKSUM flag and a CRC32C of the payload after it", () => {
    const data = seededBytes(1000, 3);
    const packet = encodeDeviceStatePacket({ idstr: IDSTR, instanceId: 1, idx: 7, flags: 0, data, checksum: true });
    expect(packet.length).toBe(276 + 12 + 1000 + 4);
    expect(toHex(packet.subarray(8, 12))).toBe("00 00 00 c0");
    expect(toHex(packet.subarray(272, 276))).toBe("00 00 03 f4");
    const trailer = new DataView(packet.buffer, packet.byteOffset + 276 + 1012).getUint32(0);
    expect(trailer).toBe(crc32c(packet.subarray(276, 276 + 1012)));
  });

  it("equals the TypeScript reference on random packets, over stale slot bytes", () => {
    const instance = createInstance(1 << 20, flavor);
    const slot = instance.heapBase + 64;
    for (let round = 0; round < 200; round++) {
      const dataLength = (round * 7919) % 5000;
      const checksum = (["none", "crc32c", "xxh3"] as const)[round % 3];
      const idstr = "dev".repeat(round % 80);
      const stale = seededBytes(deviceStatePacketBytes(dataLength, checksum), round + 1);
      instance.bytes.set(stale, slot);
      const expected = stale.slice();
      new TextEncoder().encodeInto(idstr, expected.subarray(12));
      const fields = { idstr, instanceId: round * 3, idx: round * 1000003 % 0xfffffffe, flags: round % 3, dataLength, checksum };
      const refLength = frameDeviceStateReference(expected, 0, idstr.length, fields.instanceId, fields.idx, fields.flags, dataLength, checksum);
      const length = frameDeviceStatePacket(instance, slot, fields);
      expect(length).toBe(refLength);
      expectBytes(instance.bytes.subarray(slot, slot + length), expected.subarray(0, refLength));
      expectBytes(instance.bytes.subarray(slot + DEVICE_STATE_DATA_OFFSET, slot + DEVICE_STATE_DATA_OFFSET + dataLength), stale.subarray(288, 288 + dataLength));
    }
  });

  it("refuses an idx of 0xffffffff, a long idstr and a slot outside host memory", () => {
    const instance = createInstance(4096, flavor);
    const fields = { idstr: IDSTR, instanceId: 0, idx: 0, flags: 0, dataLength: 10, checksum: false };
    expect(caught(() => frameDeviceStatePacket(instance, instance.heapBase, { ...fields, idx: 0xffffffff })).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => frameDeviceStatePacket(instance, instance.heapBase, { ...fields, idstr: "x".repeat(256) })).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => frameDeviceStatePacket(instance, 0, fields)).code).toBe("ERR_WIRE_ENCODE");
    expect(caught(() => frameDeviceStatePacket(instance, instance.byteLength - 100, fields)).code).toBe("ERR_WIRE_ENCODE");
    expect(frameDeviceStatePacket(instance, instance.heapBase, { ...fields, idstr: "x".repeat(255) })).toBe(298);
  });
});
