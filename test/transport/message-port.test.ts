import { MessageChannel as NodeMessageChannel, Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { messagePortAcceptor, messagePortChannel, messagePortDialer } from "../../src/transport/message-port.js";
import { MiB, channelCompliance } from "./compliance.js";

channelCompliance("messagePortChannel (one thread)", {
  open: async () => {
    const { port1, port2 } = new MessageChannel();
    return { a: messagePortChannel(port1, { name: "a" }), b: messagePortChannel(port2, { name: "b" }) };
  },
  maxAhead: MiB,
  resourceTypes: ["MessagePort"],
});

// Two control channels to a relay in a real worker thread: we dial in on one, it dials back on the other.
const toWorker = new NodeMessageChannel();
const fromWorker = new NodeMessageChannel();
// The worker loads TypeScript through tsx's loader, registered inside the worker itself.
const relayUrl = new URL("./relay-worker.ts", import.meta.url).href;
const relay = new Worker(`import("tsx/esm/api").then((tsx) => tsx.register()).then(() => import(${JSON.stringify(relayUrl)}))`, { eval: true });
relay.postMessage({ inbound: toWorker.port2, outbound: fromWorker.port2 }, [toWorker.port2, fromWorker.port2]);
const relayDialer = messagePortDialer(toWorker.port1);
const relayAcceptor = messagePortAcceptor(fromWorker.port1);
afterAll(async () => {
  await relayAcceptor.close();
  toWorker.port1.close();
  fromWorker.port1.close();
  await relay.terminate();
});

channelCompliance("messagePortChannel through a worker_threads relay", {
  open: async () => {
    const [a, b] = await Promise.all([relayDialer.dial("main"), relayAcceptor.accept()]);
    return { a, b };
  },
  // Our window, the relay's buffers (4 x 256 KiB), the far window.
  maxAhead: 3 * MiB,
  resourceTypes: ["MessagePort"],
});

describe("messagePortDialer / messagePortAcceptor", () => {
  it("opens channels over a control port under the dialed name", async () => {
    const { port1, port2 } = new MessageChannel();
    const dialer = messagePortDialer(port1);
    const acceptor = messagePortAcceptor(port2);
    const [a, b] = await Promise.all([dialer.dial("multifd/0"), acceptor.accept()]);
    expect(b.name).toBe("multifd/0");
    await a.write(new Uint8Array([1, 2]));
    const buf = new Uint8Array(4);
    expect(await b.read(buf)).toBe(2);
    a.destroy();
    b.destroy();
    await acceptor.close();
    port1.close();
  });

  it("refuses dials once the acceptor is closed, typed on the dialing side", async () => {
    const { port1, port2 } = new MessageChannel();
    const acceptor = messagePortAcceptor(port2, { backlog: 1 });
    const dialer = messagePortDialer(port1);
    await dialer.dial("one");
    await expect(dialer.dial("two")).rejects.toMatchObject({ code: "ERR_CHANNEL_REFUSED" });
    await acceptor.close();
    port1.close();
  });

  it("fails the channel with ERR_CHANNEL_PROTOCOL on a malformed message or a credit overrun", async () => {
    const bads = [
      { t: "data", bytes: "not bytes" },
      { t: "data", bytes: new ArrayBuffer(5000) },
      { t: "data", bytes: new ArrayBuffer(8), length: 9 },
      { t: "data", bytes: new ArrayBuffer(8), length: -1 },
      { t: "data", bytes: new ArrayBuffer(8), length: "8" },
      { t: "credit", n: 7 },
      42,
    ];
    for (const bad of bads) {
      const { port1, port2 } = new MessageChannel();
      const channel = messagePortChannel(port1, { name: "main", window: 4096 });
      const pending = channel.read(new Uint8Array(10));
      port2.postMessage(bad);
      const err = await pending.then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: "ERR_CHANNEL_PROTOCOL" });
      expect((err as Error).message).toMatch(/^main: malformed message/);
      port2.close();
    }
  });
});

/** A port whose other end is the test itself: it sees every message as posted (nothing is transferred). */
function scriptedPort() {
  const posted: Array<{ message: Record<string, unknown>; transfer: readonly unknown[] }> = [];
  const target = new EventTarget();
  const port = {
    postMessage: (message: unknown, transfer: readonly unknown[] = []) => posted.push({ message: message as Record<string, unknown>, transfer }),
    addEventListener: (type: "message", listener: (event: Event) => void) => target.addEventListener(type, listener),
    removeEventListener: (type: "message", listener: (event: Event) => void) => target.removeEventListener(type, listener),
  };
  const deliver = (data: unknown) => target.dispatchEvent(new MessageEvent("message", { data }));
  return { port, posted, deliver };
}

describe("messagePortChannel buffer recycling", () => {
  it("fills the buffers the reader returns instead of allocating new ones", async () => {
    const { port, posted, deliver } = scriptedPort();
    const channel = messagePortChannel(port, { name: "main", window: 1 << 20 });
    await channel.write(new Uint8Array(1000).fill(1));
    const first = posted[0].message;
    expect(first).toMatchObject({ t: "data", length: 1000 });
    // Sent in a buffer of the full message size, and transferred.
    expect((first.bytes as ArrayBuffer).byteLength).toBe(256 * 1024);
    expect(posted[0].transfer).toEqual([first.bytes]);
    const returned = new ArrayBuffer(256 * 1024);
    // A returned buffer of the wrong size is not ours to fill: ignored.
    deliver({ t: "credit", n: 1000, buffers: [new ArrayBuffer(12), returned] });
    await channel.write(new Uint8Array(10).fill(2));
    expect(posted[1].message.bytes).toBe(returned);
    expect([...new Uint8Array(returned, 0, 10)]).toEqual(Array(10).fill(2));
    channel.destroy();
  });

  it("sends whole messages to a reader that returns credit a little at a time (no silly window)", async () => {
    const { port, posted, deliver } = scriptedPort();
    const slot = 256 * 1024;
    const channel = messagePortChannel(port, { name: "main", window: 4 * slot });
    const written = channel.write(new Uint8Array(5 * slot + 100));
    const data = () => posted.filter((p) => p.message.t === "data").map((p) => p.message.length as number);
    expect(data()).toEqual([slot, slot, slot, slot]);
    // The reader frees 4 KiB at a time: nothing goes out until a whole message fits.
    for (let freed = 0; freed < slot - 4096; freed += 4096) deliver({ t: "credit", n: 4096 });
    expect(data()).toHaveLength(4);
    deliver({ t: "credit", n: 4096 });
    expect(data()).toEqual([slot, slot, slot, slot, slot]);
    // The write's last 100 bytes: a short message goes out as soon as it fits, since it finishes the write.
    deliver({ t: "credit", n: 100 });
    expect(data()).toEqual([slot, slot, slot, slot, slot, 100]);
    await written;
    channel.destroy();
  });

  it("returns what it has read with the credit it sends", async () => {
    const { port, posted, deliver } = scriptedPort();
    const channel = messagePortChannel(port, { name: "main", window: 4096 });
    const sent = new ArrayBuffer(64);
    new Uint8Array(sent).set([5, 6, 7]);
    deliver({ t: "data", bytes: sent, length: 3 });
    const buf = new Uint8Array(8);
    expect(await channel.read(buf)).toBe(3);
    expect([...buf.subarray(0, 3)]).toEqual([5, 6, 7]);
    const credit = posted.find((p) => p.message.t === "credit")!;
    expect(credit.message).toMatchObject({ n: 3, buffers: [sent] });
    expect(credit.transfer).toEqual([sent]);
    channel.destroy();
  });

  it("keeps a relayed failure's code, and makes anything else a reset", async () => {
    const cases = [
      { code: "ERR_TLS_HANDSHAKE", expected: "ERR_TLS_HANDSHAKE", text: /^main: TLS refused$/ },
      { code: "ERR_CHANNEL_PEER_CLOSED", expected: "ERR_CHANNEL_PEER_CLOSED", text: /^main: TLS refused$/ },
      { code: "ERR_CHANNEL_USAGE", expected: "ERR_CHANNEL_RESET", text: /^main: peer destroyed the channel: TLS refused$/ },
      { code: "ERR_SOMETHING_ELSE", expected: "ERR_CHANNEL_RESET", text: /^main: peer destroyed the channel: / },
    ];
    for (const { code, expected, text } of cases) {
      const { port, deliver } = scriptedPort();
      const channel = messagePortChannel(port, { name: "main" });
      const reading = channel.read(new Uint8Array(4));
      deliver({ t: "reset", reason: "TLS refused", code });
      const err = await reading.then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: expected });
      expect((err as Error).message).toMatch(text);
    }
    const { port, deliver } = scriptedPort();
    const channel = messagePortChannel(port, { name: "main" });
    const reading = channel.read(new Uint8Array(4));
    deliver({ t: "reset", reason: "x".repeat(100_000), code: "ERR_CHANNEL_IO" });
    const err = (await reading.then(() => undefined, (e: unknown) => e)) as Error;
    expect(err.message.length).toBeLessThan(1100);
  });

  it("passes its own relayable failure on without repeating its name", () => {
    const { port, posted } = scriptedPort();
    const channel = messagePortChannel(port, { name: "multifd/1" });
    const err = Object.assign(new Error("multifd/1: connection refused (ECONNREFUSED)"), { code: "ERR_CHANNEL_REFUSED" });
    channel.destroy(err);
    expect(posted.at(-1)!.message).toEqual({ t: "reset", reason: "connection refused (ECONNREFUSED)", code: "ERR_CHANNEL_REFUSED" });
  });
});
