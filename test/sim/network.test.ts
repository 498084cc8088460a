import { describe, expect, it } from "vitest";
import { SimulatedNetwork, type Direction } from "../../src/sim/network.js";
import { Random } from "../../src/sim/random.js";
import type { Channel } from "../../src/transport/types.js";
import type { LinkSpec } from "../../src/sim/network.js";
import { VirtualClock } from "../../src/virtual-clock.js";

/** Reads until the channel ends or fails: what arrived, when each piece arrived, and how it stopped. */
async function drain(channel: Channel, clock: VirtualClock): Promise<{ bytes: Uint8Array; times: number[]; error: unknown }> {
  const parts: Uint8Array[] = [];
  const times: number[] = [];
  const buf = new Uint8Array(4096);
  try {
    for (let n; (n = await channel.read(buf)) > 0; ) {
      parts.push(buf.slice(0, n));
      times.push(clock.now());
    }
    return { bytes: Buffer.concat(parts), times, error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(parts), times, error };
  }
}

function network(link: (name: string, direction: Direction) => LinkSpec, connectDelayMs?: (name: string) => number) {
  const clock = new VirtualClock();
  const random = new Random(42);
  const net = new SimulatedNetwork({ clock, random: () => random.next(), link, connectDelayMs });
  return { clock, net };
}

async function connect(net: SimulatedNetwork, clock: VirtualClock, name: string): Promise<[Channel, Channel]> {
  const both = Promise.all([net.dialer.dial(name), net.acceptor.accept()]);
  expect(await clock.run(both)).toBe("settled");
  return both;
}

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);

describe("SimulatedNetwork", () => {
  it("delays each direction by its latency plus seeded jitter, never reordering bytes", async () => {
    const { clock, net } = network((_, direction) => (direction === "forward" ? { latencyMs: 10, jitterMs: 20 } : { latencyMs: 3 }));
    const [a, b] = await connect(net, clock, "main");
    for (let i = 0; i < 50; i++) await a.write(Uint8Array.of(i));
    const forward = drain(b, clock);
    expect(await clock.run(Promise.all([a.end(), forward]))).toBe("settled");
    const got = await forward;
    expect([...got.bytes]).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Math.min(...got.times)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...got.times)).toBeLessThanOrEqual(30);
    // Jitter spreads the arrivals, in order.
    expect(new Set(got.times).size).toBeGreaterThan(1);
    expect(got.times).toEqual([...got.times].sort((x, y) => x - y));
    const start = clock.now();
    await b.write(Uint8Array.of(9));
    const back = a.read(new Uint8Array(1)).then(() => clock.now() - start);
    expect(await clock.run(back)).toBe("settled");
    expect(await back).toBe(3);
  });

  for (const direction of ["forward", "back"] as const) {
    it(`cuts the ${direction} direction at exactly byte N: the reader gets N bytes then a reset`, async () => {
      const { clock, net } = network((_, d) => (d === direction ? { dropAfterBytes: 1000 } : {}));
      const [dialed, accepted] = await connect(net, clock, "main");
      const [writer, reader] = direction === "forward" ? [dialed, accepted] : [accepted, dialed];
      const data = bytes(5000);
      const writing = (async () => {
        for (let o = 0; o < data.length; o += 300) await writer.write(data.subarray(o, o + 300));
      })().then(() => undefined, (e: unknown) => e);
      const reading = drain(reader, clock);
      expect(await clock.run(Promise.all([writing, reading]))).toBe("settled");
      const got = await reading;
      expect(Buffer.compare(got.bytes, data.subarray(0, 1000))).toBe(0);
      expect(got.error).toMatchObject({ code: "ERR_CHANNEL_RESET" });
      expect(await writing).toMatchObject({ code: "ERR_CHANNEL_FAULT" });
    });
  }

  it("corrupts one byte and stalls a direction for a while, on the virtual clock", async () => {
    const { clock, net } = network(() => ({ corruptByte: 10, stallAtByte: 100, stallMs: 2500 }));
    const [a, b] = await connect(net, clock, "multifd/0");
    const data = bytes(300);
    await a.write(data);
    const reading = drain(b, clock);
    expect(await clock.run(Promise.all([a.end(), reading]))).toBe("settled");
    const got = await reading;
    const expected = data.slice();
    expected[10] ^= 0xff;
    expect(Buffer.compare(got.bytes, expected)).toBe(0);
    // The first 100 bytes at once, the rest after the stall.
    expect(got.times).toEqual([0, 2500]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("connects a channel late and refuses dials once a side crashed; the peer of a crashed side sees a reset", async () => {
    const { clock, net } = network(() => ({}), (name) => (name === "multifd/1" ? 700 : 0));
    const [main, mainPeer] = await connect(net, clock, "main");
    const late = connect(net, clock, "multifd/1");
    const [lateDialed] = await late;
    expect(clock.now()).toBe(700);
    await main.write(bytes(10));
    net.crash("source");
    expect(net.crashed).toEqual({ side: "source", at: 700 });
    const got = drain(mainPeer, clock);
    expect(await clock.run(got)).toBe("settled");
    expect((await got).bytes.length).toBe(10);
    expect((await got).error).toMatchObject({ code: "ERR_CHANNEL_RESET" });
    await expect(lateDialed.write(bytes(1))).rejects.toMatchObject({ code: "ERR_CHANNEL_FAULT" });
    await expect(net.dialer.dial("multifd/2")).rejects.toMatchObject({ code: "ERR_CHANNEL_REFUSED" });
  });

  it("gives the same arrival times for the same seed", async () => {
    const run = async (): Promise<number[]> => {
      const { clock, net } = network(() => ({ latencyMs: 5, jitterMs: 50, bandwidth: 1 << 20 }));
      const [a, b] = await connect(net, clock, "main");
      for (let i = 0; i < 20; i++) await a.write(bytes(5000));
      const got = drain(b, clock);
      expect(await clock.run(Promise.all([a.end(), got]))).toBe("settled");
      return (await got).times;
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(5);
    expect(await run()).toEqual(first);
  });
});
