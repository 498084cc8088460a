import { afterAll, describe, expect, it } from "vitest";
import { messagePortAcceptor, messagePortDialer } from "../../src/transport/index.js";

// A relay in a real Web Worker: we dial in on one control channel, it dials back on the other.
const toWorker = new MessageChannel();
const fromWorker = new MessageChannel();
const worker = new Worker(new URL("./transport-relay.worker.ts", import.meta.url), { type: "module" });
worker.postMessage({ inbound: toWorker.port2, outbound: fromWorker.port2 }, [toWorker.port2, fromWorker.port2]);
const dialer = messagePortDialer(toWorker.port1);
const acceptor = messagePortAcceptor(fromWorker.port1);
afterAll(() => worker.terminate());

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("messagePortChannel between Web Workers in Chromium", () => {
  it("carries 8 MiB in order through a worker, in uneven writes and reads, then ends", async () => {
    const [a, b] = await Promise.all([dialer.dial("main"), acceptor.accept()]);
    expect(b.name).toBe("main");
    const data = pattern(8 << 20, 7);
    const writer = (async () => {
      for (let o = 0, step = 1; o < data.length; o += step, step = (step * 7 + 13) % 300_000 || 1) {
        await a.write(data.subarray(o, Math.min(data.length, o + step)));
      }
      await a.end();
    })();
    const got = new Uint8Array(data.length + 1);
    let filled = 0;
    for (let n, size = 1; (n = await b.read(got.subarray(filled, Math.min(got.length, filled + size)))) > 0; size = (size * 5 + 3) % 200_000 || 1) filled += n;
    await writer;
    expect(filled).toBe(data.length);
    let firstDifference = -1;
    for (let i = 0; i < data.length && firstDifference < 0; i++) if (got[i] !== data[i]) firstDifference = i;
    expect(firstDifference).toBe(-1);
    await b.end();
    expect(await a.read(new Uint8Array(1))).toBe(0);
    await Promise.all([a.closed, b.closed]);
  });

  it("a destroy on one side reaches the other through the worker as a typed reset", async () => {
    const [a, b] = await Promise.all([dialer.dial("multifd/0"), acceptor.accept()]);
    const pending = b.read(new Uint8Array(16));
    a.destroy();
    await expect(pending).rejects.toMatchObject({ code: "ERR_CHANNEL_RESET" });
    await expect(a.write(new Uint8Array(1))).rejects.toMatchObject({ code: "ERR_CHANNEL_DESTROYED" });
    await b.closed;
  });
});
