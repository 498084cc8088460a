import { describe, expect, it } from "vitest";
import { memoryNetwork, memoryPair } from "../../src/transport/memory.js";
import { shapeChannel, shapeDialer } from "../../src/transport/shaped.js";
import type { Channel } from "../../src/transport/types.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { MiB, channelCompliance, randomBytes, readToEnd } from "./compliance.js";

channelCompliance("shaped link over a memory pair (2 ms latency each way)", {
  open: async () => {
    const [a, b] = memoryPair({ capacity: MiB });
    return { a: shapeChannel(a, { latencyMs: 2 }), b: shapeChannel(b, { latencyMs: 2 }) };
  },
  // The delay line (1 MiB) plus the memory pair's capacity, plus one write in flight.
  maxAhead: 3 * MiB,
});

/** Reads until the channel fails or ends; returns what arrived and how it stopped. */
async function drain(channel: Channel): Promise<{ bytes: Uint8Array; error: unknown }> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  try {
    for (let n; (n = await channel.read(buf)) > 0; ) parts.push(buf.slice(0, n));
    return { bytes: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

describe("shaped link", () => {
  it("caps bandwidth: 512 KiB at 2 MiB/s takes a quarter second of link time", async () => {
    const clock = new VirtualClock();
    const [a, b] = memoryPair();
    const shaped = shapeChannel(a, { bandwidth: 2 * MiB, clock });
    const data = randomBytes(512 * 1024, 3);
    const done = Promise.all([shaped.write(data).then(() => shaped.end()), readToEnd(b, 1, 100_000)]);
    expect(await clock.run(done)).toBe("settled");
    const [, got] = await done;
    expect(Buffer.compare(got, data)).toBe(0);
    // Paced in slices, each leaving one slice-time after the one before: the last leaves at
    // (slices - 1) slice-times, just under the quarter second that 512 KiB at 2 MiB/s takes.
    const slice = Math.max(16 * 1024, Math.floor((2 * MiB) / 100));
    expect(clock.now()).toBeCloseTo(((Math.ceil(data.length / slice) - 1) * slice * 1000) / (2 * MiB), 6);
    expect(clock.now()).toBeGreaterThan(240);
  });

  it("adds latency to every write, pipelined", async () => {
    const clock = new VirtualClock();
    const [a, b] = memoryPair();
    const shaped = shapeChannel(a, { latencyMs: 80, clock });
    for (let i = 0; i < 20; i++) await shaped.write(new Uint8Array([i]));
    const arrived: number[] = [];
    const reading = (async () => {
      const buf = new Uint8Array(1);
      while (arrived.length < 20) {
        await b.read(buf);
        arrived.push(clock.now());
      }
    })();
    expect(await clock.run(reading)).toBe("settled");
    // Pipelined: twenty writes at t = 0 all arrive at t = 80, not at 20 x 80.
    expect(arrived).toEqual(Array(20).fill(80));
    shaped.destroy();
  });

  it("drops the link after N bytes: the peer gets exactly N then a reset, the writer a fault", async () => {
    const [a, b] = memoryPair();
    const shaped = shapeChannel(a, { dropAfterBytes: 3000 });
    const data = randomBytes(10_000, 4);
    const [written, received] = await Promise.all([
      (async () => {
        for (let o = 0; o < data.length; o += 1000) await shaped.write(data.subarray(o, o + 1000));
        await shaped.end();
      })().then(() => undefined, (e: unknown) => e),
      drain(b),
    ]);
    expect(Buffer.compare(received.bytes, data.subarray(0, 3000))).toBe(0);
    expect(received.error).toMatchObject({ code: "ERR_CHANNEL_RESET" });
    expect(written).toMatchObject({ code: "ERR_CHANNEL_FAULT" });
    expect((written as Error).message).toMatch(/^memory\/a: injected fault/);
    await expect(shaped.read(new Uint8Array(1))).rejects.toMatchObject({ code: "ERR_CHANNEL_FAULT" });
  });

  it("corrupts exactly byte K of the stream", async () => {
    const [a, b] = memoryPair();
    const shaped = shapeChannel(a, { corruptByte: 70_001 });
    const data = randomBytes(200_000, 5);
    const [, got] = await Promise.all([
      (async () => {
        for (let o = 0; o < data.length; o += 30_000) await shaped.write(data.subarray(o, o + 30_000));
        await shaped.end();
      })(),
      readToEnd(b, 2, 50_000),
    ]);
    const expected = data.slice();
    expected[70_001] ^= 0xff;
    expect(Buffer.compare(got, expected)).toBe(0);
    expect(data[70_001]).not.toBe(got[70_001]);
  });

  it("shapes dialed channels by name", async () => {
    const { dialer, acceptor } = memoryNetwork();
    const shaped = shapeDialer(dialer, (name) => (name === "main" ? { dropAfterBytes: 1 } : {}));
    const [main, mainPeer] = await Promise.all([shaped.dial("main"), acceptor.accept()]);
    const [other, otherPeer] = await Promise.all([shaped.dial("multifd/0"), acceptor.accept()]);
    await expect(main.write(new Uint8Array(10)).then(() => main.end())).rejects.toMatchObject({ code: "ERR_CHANNEL_FAULT" });
    expect((await drain(mainPeer)).bytes.length).toBe(1);
    await other.write(new Uint8Array(10));
    await other.end();
    expect((await drain(otherPeer)).bytes.length).toBe(10);
    otherPeer.destroy();
    await acceptor.close();
  });
});

describe("shaped link on a virtual clock", () => {
  it("paces by the clock it is given: 1 MiB at 1 MiB/s ends at virtual t = 1 s plus latency", async () => {
    const clock = new VirtualClock();
    const [a, b] = memoryPair();
    const shaped = shapeChannel(a, { bandwidth: MiB, latencyMs: 50, clock });
    const data = randomBytes(MiB, 8);
    const firstByte = b.read(new Uint8Array(1)).then(() => clock.now());
    const done = Promise.all([shaped.write(data).then(() => shaped.end()), firstByte.then(() => readToEnd(b, 6, 100_000))]);
    expect(await clock.run(done)).toBe("settled");
    const [, rest] = await done;
    expect(Buffer.compare(rest, data.subarray(1))).toBe(0);
    // The first slice waits out the latency; the last starts one slice-time before 1 s + 50 ms.
    expect(await firstByte).toBe(50);
    const slice = Math.max(16 * 1024, Math.floor(MiB / 100));
    expect(clock.now()).toBeCloseTo(50 + 1000 - (slice * 1000) / MiB, 6);
    expect(clock.pendingTimers).toBe(0);
  });
});
