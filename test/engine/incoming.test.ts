// The destination's door: silent, slow or foreign connections never take the real source's place,
// never block its channels, are bounded in number, and never outlive the session.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { encodeMultifdHello, init } from "../../src/codec/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { migrate, receive, type MultifdOptions } from "../../src/engine/index.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import type { Acceptor, Channel, Dialer } from "../../src/transport/types.js";
import { hostileSource } from "./hostile-peer.js";
import { IncomingChannels } from "../../src/engine/incoming.js";
import { VirtualClock } from "../../src/virtual-clock.js";

await init();

const NAME = "0000:00:04.0/vfio";
const device = () => new SimulatedDevice({ name: NAME, stateSize: 256 << 10 });

async function migrateOver(network: { dialer: Dialer; acceptor: Acceptor }, multifd?: MultifdOptions) {
  const source = device();
  const destination = device();
  const receiving = receive({ devices: [destination], acceptor: network.acceptor, multifd });
  const s = await migrate({ devices: [source], dialer: network.dialer, multifd, switchoverBandwidth: 1e9 });
  const d = await receiving;
  return { s, d, source, destination };
}

/** Settles once `channel` is torn down or ended by the other side (a read gives 0 or fails). */
const shutOut = (channel: Channel): Promise<void> => channel.read(new Uint8Array(1)).then(() => {}, () => {});

describe("incoming connections", () => {
  it("over TCP, an idle connection and one that sent a single byte arrive first; the source behind them completes; both are closed", async () => {
    const acceptor = await tcpListen({ port: 0 });
    const connect = () =>
      new Promise<net.Socket>((resolve) => {
        const s = net.connect(acceptor.address.port, "127.0.0.1", () => resolve(s));
      });
    const idle = await connect();
    const drip = await connect();
    drip.write(Uint8Array.of(0x51)); // "Q": the first byte of the main channel's magic, then nothing
    // The destination resets them: their error is expected, their close is what counts.
    const closed = (s: net.Socket) => new Promise<void>((resolve) => s.on("error", () => {}).on("close", () => resolve()).resume());
    const hostileClosed = Promise.all([closed(idle), closed(drip)]);
    const { s, d } = await migrateOver({ dialer: tcpConnect({ host: "127.0.0.1", port: acceptor.address.port }), acceptor });
    expect([s.status, d.status]).toEqual(["completed", "completed"]);
    await hostileClosed; // never settles if the session left them open
    await acceptor.close();
  });

  it("20 silent connections first: at most 8 wait at once (the oldest are pushed out), and the source completes", async () => {
    const network = memoryNetwork();
    const silent = await Promise.all(Array.from({ length: 20 }, (_, i) => network.dialer.dial(`silent-${i}`)));
    const pushedOut = Promise.all(silent.slice(0, 12).map(shutOut));
    const { s, d } = await migrateOver(network);
    expect([s.status, d.status]).toEqual(["completed", "completed"]);
    await pushedOut;
    await Promise.all(silent.map(shutOut)); // the rest when the session ended
    await network.acceptor.close();
  });

  it("a connection whose first byte is neither magic is closed at once", async () => {
    const network = memoryNetwork();
    const foreign = await network.dialer.dial("http");
    await foreign.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
    const { s, d } = await migrateOver(network);
    expect([s.status, d.status]).toEqual(["completed", "completed"]);
    await shutOut(foreign);
    await network.acceptor.close();
  });

  it("a silent connection arriving with the multifd channels does not block them", async () => {
    const network = memoryNetwork();
    const silent: Channel[] = [];
    const dialer: Dialer = {
      async dial(name, signal) {
        if (name.startsWith("multifd/")) silent.push(await network.dialer.dial("silent", signal));
        return network.dialer.dial(name, signal);
      },
    };
    const { s, d, destination } = await migrateOver({ dialer, acceptor: network.acceptor }, { channels: 2, mode: "on" });
    expect([s.status, d.status]).toEqual(["completed", "completed"]);
    expect(destination.digest()).toBe(s.devices[0].digest);
    await Promise.all(silent.map(shutOut));
    await network.acceptor.close();
  });

  it("a failed destination closes a multifd connection that never sent its whole hello", async () => {
    const network = memoryNetwork();
    const receiving = receive({ devices: [device()], acceptor: network.acceptor, multifd: { channels: 1, mode: "on" } });
    let halfHello: Channel | undefined;
    await hostileSource(
      network.dialer,
      [device()],
      async (h) => {
        halfHello = await network.dialer.dial("multifd/0");
        await halfHello.write(encodeMultifdHello({ uuid: new Uint8Array(16), channelId: 0 }).subarray(0, 10));
        await h.send(Uint8Array.of(0x99)); // not a section: the destination fails
      },
      { channels: 1, transfer: true, checksum: false } as never,
    );
    const d = await receiving;
    expect(d.status).toBe("failed");
    await shutOut(halfHello!);
    await network.acceptor.close();
  });
});

describe("IncomingChannels", () => {
  it("closes a connection that has not said what it is within the identify timeout (virtual clock)", async () => {
    const clock = new VirtualClock();
    const network = memoryNetwork();
    const incoming = new IncomingChannels(network.acceptor, { clock, identifyTimeoutMs: 5000 });
    const silent = await network.dialer.dial("silent");
    let closed = false;
    const watching = shutOut(silent).then(() => (closed = true));
    await clock.advance(4999);
    expect(closed).toBe(false);
    await clock.advance(1);
    await watching;
    incoming.close();
    await network.acceptor.close();
  });

  it("routes QEVR connections to recovery() with their magic read again, and QEVM to main()", async () => {
    const network = memoryNetwork();
    const incoming = new IncomingChannels(network.acceptor);
    const recovery = await network.dialer.dial("recovery");
    await recovery.write(new TextEncoder().encode("QEVR-query"));
    const main = await network.dialer.dial("main");
    await main.write(new TextEncoder().encode("QEVM"));
    const got = await incoming.recovery();
    const bytes = new Uint8Array(10);
    let n = 0;
    while (n < 10) n += await got.read(bytes.subarray(n));
    expect(new TextDecoder().decode(bytes)).toBe("QEVR-query");
    const mainGot = await incoming.main();
    const magic = new Uint8Array(4);
    expect(await mainGot.read(magic)).toBe(4);
    expect(new TextDecoder().decode(magic)).toBe("QEVM");
    incoming.close();
    got.destroy();
    mainGot.destroy();
    await network.acceptor.close();
  });
});
