import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { crc32c, init } from "../../src/codec/index.js";
import { DeviceState as S, SimulatedDevice, setDeviceState } from "../../src/index.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { Geometry, Pattern } from "../../src/device/simulated/layout.js";
import { concat, drain, sameBytes, saveAll, writeSplit } from "./compliance.js";


/** Parses a stream the slow, obvious way (the test's oracle of the format): block index -> content. */
function parseStream(bytes: Uint8Array, blockLength: (index: number) => number): { blocks: Map<number, Uint8Array>; trailer: DataView } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = new Map<number, Uint8Array>();
  let at = 8 + 32; // header record
  for (;;) {
    const kind = view.getUint32(at, true);
    const arg = view.getUint32(at + 4, true);
    at += 8;
    if (kind === 0x54534d53) return { blocks, trailer: new DataView(bytes.buffer, bytes.byteOffset + at, 16) };
    expect(kind).toBe(0x42534d53);
    blocks.set(arg, bytes.slice(at, at + blockLength(arg)));
    at += blockLength(arg);
  }
}

describe("SimulatedDevice", () => {
  beforeAll(async () => {
    await init();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("computes each block's CRC (stepped from a shared head) as the CRC32C of its materialized bytes", () => {
    const geometry = new Geometry(50_000, 4096);
    const pattern = new Pattern(0xdeadbeef, geometry);
    for (const [index, generation] of [[0, 0], [3, 1], [11, 0], [11, 0xffffffff], [7, 123456789]]) {
      const content = new Uint8Array(geometry.blockLength(index));
      content.set(pattern.body.subarray(0, content.length - 16));
      pattern.writeStamp(new DataView(content.buffer), content.length - 16, index, generation);
      expect(pattern.blockCrc(index, generation), `block ${index} generation ${generation}`).toBe(crc32c(content));
    }
  });

  it("streams header, blocks and trailer whose digest is the CRC of the full content", async () => {
    const device = new SimulatedDevice({ stateSize: 50_000, blockSize: 4096, seed: 5, configSize: 32 });
    const { geometry } = device.options;
    expect(geometry.count).toBe(12); // 11 x 4096 and a last block of 4944
    expect(geometry.blockLength(11)).toBe(50_000 - 11 * 4096);
    await setDeviceState(device, S.STOP_COPY);
    expect(device.stopCopySize()).toBe(40 + 12 * 8 + 50_000 + 24);
    const bytes = await drain(device);
    expect(bytes.length).toBe(40 + 12 * 8 + 50_000 + 24);
    const header = new DataView(bytes.buffer, 0, 40);
    expect([header.getUint32(0, true), header.getUint32(4, true), header.getUint32(8, true), header.getUint32(12, true)]).toEqual([0x48534d53, 1, 5, 4096]);
    expect([header.getUint32(16, true), header.getUint32(20, true), header.getUint32(28, true), header.getUint32(32, true)]).toEqual([12, 50_000, 12, 32]);
    const { blocks, trailer } = parseStream(bytes, (i) => geometry.blockLength(i));
    expect(blocks.size).toBe(12);
    // The oracle: CRC32C of each block's bytes as they came off the wire, then of those CRCs.
    const crcs = new Uint32Array(12);
    for (const [index, content] of blocks) {
      crcs[index] = crc32c(content);
      expect(sameBytes(content, device.blockContent(index))).toBe(true);
    }
    const blocksCrc = crc32c(new Uint8Array(crcs.buffer));
    expect(trailer.getUint32(0, true)).toBe(blocksCrc);
    expect(trailer.getUint32(4, true)).toBe(0);
    const configCrc = new DataView(new ArrayBuffer(4));
    configCrc.setUint32(0, crc32c(device.saveConfig()), true);
    const whole = crc32c(new Uint8Array(configCrc.buffer), blocksCrc);
    expect(device.digest()).toBe(`crc32c:${whole.toString(16).padStart(8, "0")}`);
  });

  it("derives content from the seed: equal seeds give equal digests, other seeds differ", async () => {
    const a = new SimulatedDevice({ seed: 1 });
    const b = new SimulatedDevice({ seed: 1 });
    const c = new SimulatedDevice({ seed: 2 });
    expect(a.digest()).toBe(b.digest());
    expect(a.digest()).not.toBe(c.digest());
  });

  it("offers initial bytes first, then dirty bytes as it runs, and sends the rest in STOP_COPY", async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ stateSize: 1 << 20, blockSize: 16384, initialBytes: 100_000, dirtyRate: 1e9, seed: 3, clock });
    await setDeviceState(device, S.PRE_COPY);
    const info = device.precopyInfo();
    expect(info.initialBytes).toBe(40 + 7 * (8 + 16384)); // 100 000 rounds up to 7 blocks
    const buf = new Uint8Array(1 << 20);
    const first = await device.read(buf);
    expect(first).toBeGreaterThanOrEqual(info.initialBytes);
    await clock.advance(5);
    // 1 GB/s for 5 ms dirties every block; only the 7 already sent count as dirty.
    expect(device.precopyInfo()).toEqual({ initialBytes: 0, dirtyBytes: 7 * (8 + 16384) });
    const rest = device.stopCopySize();
    expect(rest).toBe(7 * (8 + 16384) + 57 * (8 + 16384) + 24);
    const destination = new SimulatedDevice({ stateSize: 1 << 20, blockSize: 16384, seed: 3, incoming: true });
    expect(destination.digest()).not.toBe(new SimulatedDevice({ stateSize: 1 << 20, blockSize: 16384, seed: 3 }).digest());
    await setDeviceState(destination, S.RESUMING);
    await destination.write(buf.subarray(0, first));
    await setDeviceState(device, S.STOP_COPY);
    const stopCopy = await drain(device);
    expect(stopCopy.length).toBe(rest);
    await destination.write(stopCopy);
    await destination.loadConfig(device.saveConfig());
    await setDeviceState(destination, S.STOP);
    expect(destination.digest()).toBe(device.digest());
  });

  it("reads and writes without ever waiting when no throughput is set", async () => {
    const source = new SimulatedDevice({ stateSize: 300_000, blockSize: 4096 });
    const destination = new SimulatedDevice({ stateSize: 300_000, blockSize: 4096 });
    await setDeviceState(source, S.STOP_COPY);
    await setDeviceState(destination, S.RESUMING);
    vi.useFakeTimers();
    // With fake timers any sleep would hang; every call must resolve on its own.
    const buf = new Uint8Array(65536);
    for (let n; (n = await source.read(buf)) > 0; ) await destination.write(buf.subarray(0, n));
    vi.useRealTimers();
    await setDeviceState(destination, S.STOP);
  });

  it("bounds STOP_COPY reads and RESUMING writes by the given throughputs, on its clock", async () => {
    const size = 2_000_000;
    const clock = new VirtualClock();
    const source = new SimulatedDevice({ stateSize: size, saveBytesPerSecond: 40e6, clock });
    const destination = new SimulatedDevice({ stateSize: size, loadBytesPerSecond: 20e6, clock });
    await setDeviceState(source, S.STOP_COPY);
    const reading = drain(source, 256 * 1024);
    expect(await clock.run(reading)).toBe("settled");
    const bytes = await reading;
    const readMs = clock.now();
    await setDeviceState(destination, S.RESUMING);
    const writing = writeSplit(destination, bytes, 3);
    expect(await clock.run(writing)).toBe("settled");
    const writeMs = clock.now() - readMs;
    // Each side takes its bytes / rate; a debt under 1 ms is carried, not slept, and the writes,
    // starting after 50 ms idle, get the pacer's 5 ms burst credit.
    expect(readMs).toBeGreaterThan((bytes.length / 40e6) * 1000 - 1);
    expect(readMs).toBeLessThanOrEqual((bytes.length / 40e6) * 1000 + 1e-9);
    expect(writeMs).toBeGreaterThan((bytes.length / 20e6) * 1000 - 6);
    expect(writeMs).toBeLessThanOrEqual((bytes.length / 20e6) * 1000 + 1e-9);
  });

  it("pays the load delay once, in the write that completes the initial data", async () => {
    const options = { stateSize: 200_000, blockSize: 4096, initialBytes: 40_000 };
    const clock = new VirtualClock();
    const source = new SimulatedDevice(options);
    const destination = new SimulatedDevice({ ...options, loadDelayMs: 150, incoming: true, clock });
    const bytes = await saveAll(source);
    const initialEnd = 40 + 10 * (8 + 4096);
    await setDeviceState(destination, S.RESUMING);
    const timed = async (part: Uint8Array) => {
      const start = clock.now();
      const writing = destination.write(part);
      expect(await clock.run(writing)).toBe("settled");
      await writing;
      return clock.now() - start;
    };
    const before = await timed(bytes.subarray(0, initialEnd - 1));
    const completing = await timed(bytes.subarray(initialEnd - 1, initialEnd + 10));
    const after = await timed(bytes.subarray(initialEnd + 10));
    expect([before, completing, after]).toEqual([0, 150, 0]);
    await destination.loadConfig(source.saveConfig());
    await setDeviceState(destination, S.STOP);
    expect(destination.digest()).toBe(source.digest());
  });

  it("starts an incoming device from content no source state has: its digest differs until a state is loaded", async () => {
    for (const options of [{}, { seed: 7, stateSize: 100_000, blockSize: 4096, configSize: 0 }, { seed: 0, dirtyRate: 1e9 }]) {
      const source = new SimulatedDevice(options);
      const incoming = new SimulatedDevice({ ...options, incoming: true });
      expect(incoming.digest()).not.toBe(source.digest());
      // Block by block too: no block of the incoming device is any source block at generation 0.
      expect(sameBytes(incoming.blockContent(0), source.blockContent(0))).toBe(false);
      await setDeviceState(incoming, S.RESUMING);
      await incoming.write(await saveAll(source));
      await incoming.loadConfig(source.saveConfig());
      await setDeviceState(incoming, S.STOP);
      expect(incoming.digest()).toBe(source.digest());
    }
  });

  it("rejects a corrupted block body, naming the device and block", async () => {
    const source = new SimulatedDevice({ stateSize: 100_000, blockSize: 4096 });
    const bytes = await saveAll(source);
    bytes[40 + 8 + 3 * (8 + 4096) + 100] ^= 1; // a byte inside block 3's body
    const destination = new SimulatedDevice({ name: "dst/vfio", stateSize: 100_000, blockSize: 4096 });
    await setDeviceState(destination, S.RESUMING);
    const err = await writeSplit(destination, bytes, 7).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_DEVICE_DATA_CORRUPT", device: "dst/vfio" });
    expect((err as Error).message).toBe("dst/vfio: block 3 differs from the device's content");
    // The stream stays failed, and so does the arc.
    await expect(destination.write(new Uint8Array(1))).rejects.toMatchObject({ code: "ERR_DEVICE_DATA_CORRUPT" });
    await expect(destination.setState(S.STOP)).rejects.toMatchObject({ code: "ERR_DEVICE_DATA_CORRUPT" });
    expect(destination.state).toBe(S.ERROR);
  });

  it("catches a corrupted stamp generation at RESUMING -> STOP through the trailer", async () => {
    const source = new SimulatedDevice({ stateSize: 100_000, blockSize: 4096 });
    const bytes = await saveAll(source);
    bytes[40 + 4 * (8 + 4096) - 1] ^= 1; // last byte of block 2's stamp: its generation
    const destination = new SimulatedDevice({ stateSize: 100_000, blockSize: 4096 });
    await setDeviceState(destination, S.RESUMING);
    await destination.write(bytes);
    await expect(destination.setState(S.STOP)).rejects.toMatchObject({ code: "ERR_DEVICE_DATA_CORRUPT" });
  });

  it("rejects a stream for another state size, and one that does not start with a header", async () => {
    const bytes = await saveAll(new SimulatedDevice({ stateSize: 100_000 }));
    const other = new SimulatedDevice({ stateSize: 100_016 });
    await setDeviceState(other, S.RESUMING);
    await expect(other.write(bytes)).rejects.toThrow(/the stream holds 100000 bytes .* this device holds 100016/);
    const headless = new SimulatedDevice({ stateSize: 100_000 });
    await setDeviceState(headless, S.RESUMING);
    await expect(headless.write(bytes.subarray(40))).rejects.toThrow(/does not start with a header/);
  });

  it("detects a stale block: the blocks' CRCs must match the source's final trailer", async () => {
    const options = { stateSize: 64 * 1024, blockSize: 4096, seed: 4 };
    const fresh = await saveAll(new SimulatedDevice({ ...options, flags: 3 }));
    const clock = new VirtualClock();
    const changed = new SimulatedDevice({ ...options, flags: 3, dirtyRate: 1e9, clock });
    await clock.advance(3);
    const later = await saveAll(changed);
    expect(later.length).toBe(fresh.length);
    const spliced = concat([fresh.subarray(0, fresh.length - 24), later.subarray(later.length - 24)]);
    const destination = new SimulatedDevice(options);
    await setDeviceState(destination, S.RESUMING);
    await destination.write(spliced);
    await expect(destination.setState(S.STOP)).rejects.toThrow(/differs from the source's final state/);
  });

  it("validates the config against the stream's seed and keeps it out of the digest until loaded", async () => {
    const source = new SimulatedDevice({ stateSize: 8192, blockSize: 1024, seed: 21 });
    const destination = new SimulatedDevice({ stateSize: 8192, blockSize: 1024, seed: 21 });
    await setDeviceState(destination, S.RESUMING);
    await expect(destination.loadConfig(source.saveConfig())).rejects.toMatchObject({ code: "ERR_DEVICE_CONFIG" });
    await destination.write(await saveAll(source));
    const wrong = source.saveConfig();
    wrong[0] ^= 1;
    await expect(destination.loadConfig(wrong)).rejects.toMatchObject({ code: "ERR_DEVICE_CONFIG" });
    expect(destination.digest()).not.toBe(source.digest());
    await destination.loadConfig(source.saveConfig());
    expect(destination.digest()).toBe(source.digest());
  });

  it("rejects bad options with ERR_DEVICE_OPTIONS", () => {
    for (const options of [{ stateSize: 8 }, { flags: 6 }, { flags: 9 }, { initialBytes: 2 << 20 }, { seed: -1 }, { blockSize: 100 }, { readChunk: 0 }, { saveBytesPerSecond: 0 }]) {
      expect(() => new SimulatedDevice({ name: "bad/vfio", ...options }), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: "ERR_DEVICE_OPTIONS", message: expect.stringMatching(/^bad\/vfio: /) }),
      );
    }
  });

  it("migrates a 2 GiB state with both ends in one process without holding it", async () => {
    const size = 2 * 1024 ** 3;
    const source = new SimulatedDevice({ stateSize: size, seed: 77 });
    const destination = new SimulatedDevice({ stateSize: size, seed: 78 });
    await setDeviceState(source, S.STOP_COPY);
    await setDeviceState(destination, S.RESUMING);
    const rssBefore = process.memoryUsage().rss;
    const buf = new Uint8Array(1 << 20);
    let total = 0;
    for (let n; (n = await source.read(buf)) > 0; total += n) await destination.write(buf.subarray(0, n));
    expect(total).toBe(source.options.geometry.recordBytes(0, source.options.geometry.count) + 40 + 24);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 ** 2);
    await destination.loadConfig(source.saveConfig());
    await setDeviceState(destination, S.RUNNING);
    expect(destination.digest()).toBe(source.digest());
  }, 120_000);
});
