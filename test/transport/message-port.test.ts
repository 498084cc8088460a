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
  // Our window, the relay's 256 KiB buffer, the far window.
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
    for (const bad of [{ t: "data", bytes: "not bytes" }, { t: "data", bytes: new ArrayBuffer(5000) }, { t: "credit", n: 7 }, 42]) {
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
