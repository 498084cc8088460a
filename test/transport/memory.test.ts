import { describe, expect, it } from "vitest";
import { memoryNetwork, memoryPair } from "../../src/transport/memory.js";
import { MiB, channelCompliance } from "./compliance.js";

channelCompliance("memoryPair", {
  open: async () => {
    const [a, b] = memoryPair({ capacity: MiB });
    return { a, b };
  },
  maxAhead: MiB,
});

describe("memoryNetwork", () => {
  it("hands each dialed channel to accept() under the dialed name", async () => {
    const { dialer, acceptor } = memoryNetwork();
    const [a, b] = await Promise.all([dialer.dial("main"), acceptor.accept()]);
    expect([a.name, b.name]).toEqual(["main", "main"]);
    await a.write(new Uint8Array([5]));
    const buf = new Uint8Array(2);
    expect(await b.read(buf)).toBe(1);
    await acceptor.close();
    await expect(acceptor.accept()).rejects.toMatchObject({ code: "ERR_ACCEPTOR_CLOSED" });
    await expect(dialer.dial("late")).rejects.toMatchObject({ code: "ERR_CHANNEL_REFUSED" });
    a.destroy();
  });

  it("refuses dials beyond the backlog and aborts a pending accept", async () => {
    const { dialer, acceptor } = memoryNetwork({ backlog: 1 });
    await dialer.dial("one");
    await expect(dialer.dial("two")).rejects.toMatchObject({ code: "ERR_CHANNEL_REFUSED" });
    await acceptor.accept();
    const controller = new AbortController();
    const pending = acceptor.accept(controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "ERR_CHANNEL_ABORTED" });
    await acceptor.close();
  });
});

describe("memoryPair queueing", () => {
  it("keeps 200 000 one-byte writes in order without a reader (linear queue)", async () => {
    const [a, b] = memoryPair();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200_000; i++) writes.push(a.write(new Uint8Array([i & 0xff])));
    await Promise.all(writes);
    const got = new Uint8Array(200_000);
    for (let filled = 0; filled < got.length; ) filled += await b.read(got.subarray(filled, filled + 777));
    expect(got.every((x, i) => x === (i & 0xff))).toBe(true);
  });

  it("refills a reader's window a quarter at a time, not by the few bytes each read frees", async () => {
    const [a, b] = memoryPair({ capacity: 4096 });
    const written = a.write(new Uint8Array(3 * 4096 + 10).map((_, i) => i & 0xff));
    const got: number[] = [];
    const read = async (max: number): Promise<number> => {
      const buf = new Uint8Array(max);
      const n = await b.read(buf);
      got.push(...buf.subarray(0, n));
      return n;
    };
    // 900 bytes freed in small reads, under a quarter of the window: nothing more is sent yet.
    for (let i = 0; i < 9; i++) expect(await read(100)).toBe(100);
    expect(await read(8192)).toBe(4096 - 900);
    // Once the window is free, a whole window's slice; the write's last 10 bytes go however few they are.
    expect(await read(8192)).toBe(4096);
    expect(await read(8192)).toBe(4096);
    expect(await read(8192)).toBe(10);
    await written;
    expect(got.every((x, i) => x === (i & 0xff))).toBe(true);
    expect(got).toHaveLength(3 * 4096 + 10);
  });

  it("lets a reader drain what a destroyed peer sent, then fails typed", async () => {
    const [a, b] = memoryPair();
    await a.write(new Uint8Array([1, 2, 3]));
    a.destroy();
    const buf = new Uint8Array(8);
    expect(await b.read(buf)).toBe(3);
    await expect(b.read(buf)).rejects.toMatchObject({ code: "ERR_CHANNEL_RESET" });
    await expect(b.write(buf)).rejects.toMatchObject({ code: "ERR_CHANNEL_RESET" });
  });
});
