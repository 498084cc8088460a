import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../../src/codec/index.js";
import { MultifdReceiver, MultifdSender } from "../../../src/engine/multifd/index.js";
import { isVfioMigrationError } from "../../../src/errors.js";
import { DeviceState } from "../../../src/fsm/states.js";
import { ArrayDevice, channelPairs, type TransportKind } from "./support.js";

const CHUNK = 16 * 1024;

beforeAll(async () => {
  await init();
});

function pair(count: number) {
  const sources = Array.from({ length: count }, (_, i) => new ArrayDevice(`0000:00:0${i}.0/vfio`, { size: 2 * 1024 * 1024, seed: 40 + i }));
  const destinations = sources.map((s) => new ArrayDevice(s.name, { destination: true }));
  return { sources, destinations, digests: sources.map((s) => s.digest()) };
}

async function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (error: unknown) => error,
  );
}

describe.each<TransportKind>(["memory", "tcp"])("multifd failures over %s", (kind) => {
  it("a channel dropped mid-transfer fails both ends with typed errors and leaves the source's state intact", async () => {
    const { sources, destinations, digests } = pair(2);
    const link = await channelPairs(3, kind);
    const receiver = new MultifdReceiver({ devices: destinations, channels: 3, maxChunkBytes: CHUNK });
    link.destination.forEach((channel) => receiver.addChannel(channel));
    receiver.switchoverStart();
    let reads = 0;
    const read = sources[0].read.bind(sources[0]);
    sources[0].read = async (buf) => {
      // The connection drops (the source side's socket dies) a few packets in.
      if (++reads === 20) link.source[1].destroy(new Error("cable pulled"));
      return read(buf);
    };
    const sender = new MultifdSender(link.source, { maxChunkBytes: CHUNK });
    const [sent, received] = await Promise.all([settle(sender.send(sources)), settle(receiver.finished())]);
    expect(sent).toBeInstanceOf(Error);
    expect(isVfioMigrationError(received)).toBe(true);
    expect((received as { code: string }).code).toMatch(/^ERR_(CHANNEL_|MULTIFD_TRUNCATED|MULTIFD_INCOMPLETE)/);
    // The outgoing side never changes source state: same content, same device state.
    expect(sources.map((s) => s.digest())).toEqual(digests);
    expect(sources.every((s) => s.state === DeviceState.STOP_COPY)).toBe(true);
    await link.close();
  });

  it("aborting the send destroys the channels; the receiver fails instead of waiting forever", async () => {
    const { sources, destinations } = pair(2);
    const link = await channelPairs(2, kind);
    const receiver = new MultifdReceiver({ devices: destinations, channels: 2, maxChunkBytes: CHUNK });
    link.destination.forEach((channel) => receiver.addChannel(channel));
    receiver.switchoverStart();
    const controller = new AbortController();
    let reads = 0;
    const read = sources[1].read.bind(sources[1]);
    sources[1].read = async (buf) => {
      if (++reads === 10) controller.abort(new Error("operator cancelled"));
      return read(buf);
    };
    const sender = new MultifdSender(link.source, { maxChunkBytes: CHUNK });
    const [sent, received] = await Promise.all([settle(sender.send(sources, controller.signal)), settle(receiver.finished())]);
    expect(sent).toMatchObject({ code: "ERR_MULTIFD_CANCELLED" });
    expect(isVfioMigrationError(received)).toBe(true);
    await link.close();
  });

  it("a failing device read fails the send with the device's error after every write settled", async () => {
    const { sources } = pair(2);
    const link = await channelPairs(2, kind);
    const receiver = new MultifdReceiver({ devices: pair(2).destinations, channels: 2, maxChunkBytes: CHUNK });
    link.destination.forEach((channel) => receiver.addChannel(channel));
    let reads = 0;
    sources[0].read = async () => {
      if (++reads === 3) throw new Error("0000:00:00.0/vfio: read failed");
      return 100;
    };
    const sent = await settle(new MultifdSender(link.source, { maxChunkBytes: CHUNK }).send(sources));
    expect((sent as Error).message).toBe("0000:00:00.0/vfio: read failed");
    expect(isVfioMigrationError(await settle(receiver.finished()))).toBe(true);
    await link.close();
  });

  it("refuses to save a device that is not in STOP_COPY", async () => {
    const { sources } = pair(1);
    sources[0].state = DeviceState.RUNNING;
    const link = await channelPairs(1, kind);
    const sent = await settle(new MultifdSender(link.source).send(sources));
    expect(sent).toMatchObject({ code: "ERR_MULTIFD_DEVICE_STATE", device: sources[0].name });
    await link.close();
  });

  it("close() after a clean finish resolves and keeps the loaded state", async () => {
    const { sources, destinations } = pair(1);
    const link = await channelPairs(1, kind);
    const receiver = new MultifdReceiver({ devices: destinations, channels: 1, maxChunkBytes: CHUNK });
    link.destination.forEach((channel) => receiver.addChannel(channel));
    receiver.switchoverStart();
    await new MultifdSender(link.source, { maxChunkBytes: CHUNK }).send(sources);
    await receiver.finished();
    await link.source[0].end();
    await expect(receiver.close()).resolves.toBeUndefined();
    expect(destinations[0].digest()).toBe(sources[0].digest());
    await link.close();
  });
});

describe("multifd options", () => {
  it.each([
    ["maxQueuedBytes", { maxQueuedBytes: 0 }],
    ["maxQueuedBytes", { maxQueuedBytes: 8 * 1024 ** 3 }],
    ["maxChunkBytes", { maxChunkBytes: 1.5 }],
    ["channels", { channels: 0 }],
  ])("refuses a receiver with a bad %s before allocating anything", (name, options) => {
    expect(() => new MultifdReceiver({ devices: pair(1).destinations, channels: 2, ...options })).toThrow(
      expect.objectContaining({ code: "ERR_MULTIFD_OPTIONS", message: expect.stringContaining(name) }),
    );
  });

  it("refuses a sender with a bad maxChunkBytes", async () => {
    const link = await channelPairs(1, "memory");
    expect(() => new MultifdSender(link.source, { maxChunkBytes: -1 })).toThrow(expect.objectContaining({ code: "ERR_MULTIFD_OPTIONS" }));
    await link.close();
  });
});
