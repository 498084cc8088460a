import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { DeviceState as S, MttyDevice, setDeviceState } from "../../src/index.js";
import { drain } from "./compliance.js";

// struct mtty_data header as the x86-64 kernel writes it (host order: little-endian).
const HEADER_1_PORT = [0x4e, 0x2c, 0x3e, 0x8c, 0x89, 0x09, 0x9d, 0x7e, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];

describe("MttyDevice: the kernel's mtty sample", () => {
  beforeAll(async () => {
    await init();
  });

  it("reports STOP_COPY|P2P|PRE_COPY and a data size of 24 + 36 per port", () => {
    expect(new MttyDevice().flags).toBe(7);
    expect(new MttyDevice({ ports: 1 }).stopCopySize()).toBe(60);
    expect(new MttyDevice({ ports: 2 }).stopCopySize()).toBe(96);
  });

  it("offers only the 24-byte header in PRE_COPY (initial 24 -> 0, dirty always 0), then a 0-byte read", async () => {
    const device = new MttyDevice({ ports: 1 });
    await setDeviceState(device, S.PRE_COPY);
    expect(device.precopyInfo()).toEqual({ initialBytes: 24, dirtyBytes: 0 });
    const buf = new Uint8Array(10);
    expect(await device.read(buf)).toBe(10);
    expect(device.precopyInfo()).toEqual({ initialBytes: 14, dirtyBytes: 0 });
    const header = new Uint8Array(24);
    header.set(buf);
    expect(await device.read(header.subarray(10))).toBe(14);
    expect([...header]).toEqual(HEADER_1_PORT);
    expect(device.precopyInfo()).toEqual({ initialBytes: 0, dirtyBytes: 0 });
    expect(await device.read(new Uint8Array(64))).toBe(0);
    // The ports come only in STOP_COPY, appended to the same file; the size never shrinks.
    await setDeviceState(device, S.STOP_COPY);
    expect(device.stopCopySize()).toBe(60);
    expect((await drain(device)).length).toBe(36);
  });

  it("writes the header and ports at once on STOP -> STOP_COPY, nr_ports 2 at offset 16", async () => {
    const device = new MttyDevice({ ports: 2 });
    device.port(1).write(7, 0xab); // SCR of port 1
    await setDeviceState(device, S.STOP_COPY);
    const bytes = await drain(device);
    expect(bytes.length).toBe(96);
    expect(new DataView(bytes.buffer).getUint32(16, true)).toBe(2);
    expect(bytes[24 + 36 + 7]).toBe(0xab); // ports[1].uart_reg[UART_SCR]
    expect(bytes[24 + 33]).toBe(16); // ports[0].max_fifo_size, set by mtty_init_dev
  });

  it("migrates the port registers: a byte written on the source is read back on the destination", async () => {
    const source = new MttyDevice({ ports: 2 });
    for (const byte of [0x68, 0x69]) source.port(0).write(0, byte);
    source.port(1).write(3, 0x80); // LCR with DLAB: the next TX/IER writes set the divisor
    source.port(1).write(0, 0x0c);
    source.port(1).write(1, 0x00);
    await setDeviceState(source, S.PRE_COPY);
    const head = await drain(source);
    await setDeviceState(source, S.STOP_COPY);
    const tail = await drain(source);
    const destination = new MttyDevice({ ports: 2 });
    await setDeviceState(destination, S.RESUMING);
    await destination.write(head);
    await destination.write(tail);
    await destination.loadConfig(source.saveConfig());
    await setDeviceState(destination, S.RUNNING);
    expect(destination.digest()).toBe(source.digest());
    expect(destination.port(0).read(5) & 0x01).toBe(0x01); // LSR: data ready
    expect([destination.port(0).read(0), destination.port(0).read(0)]).toEqual([0x68, 0x69]);
    expect(destination.port(1).read(0)).toBe(0x0c); // DLAB read of the divisor's low byte
  });

  it.each([
    ["magic", 0, 0x4f, /bad magic/],
    ["major version", 8, 2, /version 2\.0/],
    ["minor version", 12, 1, /version 1\.1/],
    ["nr_ports", 16, 2, /2 port\(s\), this device has 1/],
    ["flags", 20, 1, /flags 1/],
  ])("refuses a header with a wrong %s when the 24th byte arrives", async (_what, offset, value, message) => {
    const header = Uint8Array.from(HEADER_1_PORT);
    header[offset] = value;
    const device = new MttyDevice({ name: "mtty0/vfio", ports: 1 });
    await setDeviceState(device, S.RESUMING);
    await device.write(header.subarray(0, 23));
    await expect(device.write(header.subarray(23))).rejects.toMatchObject({ code: "ERR_DEVICE_DATA_CORRUPT", message: expect.stringMatching(message) });
  });

  it("keeps the kernel's quirk: a refused header still counts, and the load checks only the size", async () => {
    const header = Uint8Array.from(HEADER_1_PORT);
    header[0] ^= 1;
    const device = new MttyDevice({ ports: 1 });
    await setDeviceState(device, S.RESUMING);
    await expect(device.write(header)).rejects.toMatchObject({ code: "ERR_DEVICE_DATA_CORRUPT" });
    await device.write(new Uint8Array(36));
    await setDeviceState(device, S.STOP);
    expect(device.state).toBe(S.STOP);
  });

  it("refuses writes past the state (ENOMEM) and short loads (EINVAL), staying in RESUMING", async () => {
    const device = new MttyDevice({ name: "mtty1/vfio", ports: 1 });
    await setDeviceState(device, S.RESUMING);
    await expect(device.write(new Uint8Array(61))).rejects.toMatchObject({ code: "ERR_DEVICE_DATA_OVERFLOW" });
    await device.write(Uint8Array.from(HEADER_1_PORT));
    await device.write(new Uint8Array(35));
    await expect(device.setState(S.STOP)).rejects.toMatchObject({ code: "ERR_DEVICE_DATA_SHORT", message: "mtty1/vfio: expected 60 bytes of mtty state, got 59" });
    expect(device.state).toBe(S.RESUMING);
  });

  it("keeps the port registers across a reset (mtty_reset only drops the migration files)", async () => {
    const device = new MttyDevice();
    device.port(0).write(7, 0x42);
    await setDeviceState(device, S.STOP_COPY);
    await device.reset();
    expect(device.state).toBe(S.RUNNING);
    expect(device.port(0).read(7)).toBe(0x42);
  });

  it("rejects a port count other than 1 or 2", () => {
    expect(() => new MttyDevice({ ports: 3 as 1 })).toThrow(expect.objectContaining({ code: "ERR_DEVICE_OPTIONS" }));
  });
});
