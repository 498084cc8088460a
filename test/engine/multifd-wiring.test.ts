import { describe, expect, it } from "vitest";
import { encodeMultifdHello, init } from "../../src/codec/index.js";
import { receive } from "../../src/engine/index.js";
import { planMultifd } from "../../src/engine/options.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import { decodeMain, spyingDialer } from "./spy.js";
import { caught } from "../codec/helpers.js";
import { runBoth, simulatedPair, stateOf } from "./support.js";

await init();

describe("engine with multifd device-state transfer", () => {
  for (const [devices, channels] of [[1, 1], [2, 3], [4, 2], [8, 8]]) {
    it(`${devices} device(s) over ${channels} channel(s): stop-copy data on multifd, equal digests`, async () => {
      const { sources, destinations } = simulatedPair(devices, { stateSize: 2 << 20, initialBytes: 256 << 10 });
      const network = memoryNetwork();
      const spy = spyingDialer(network.dialer);
      const multifd = { channels };
      const r = await runBoth(sources, destinations, { multifd }, { multifd }, { dialer: spy.dialer, acceptor: network.acceptor });
      expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
      expect(r.destination.devices.map((d) => d.digest)).toEqual(r.source.devices.map((d) => d.digest));
      expect(r.source.bytes.multifd).toHaveLength(channels);
      expect(r.destination.bytes.multifd).toEqual(r.source.bytes.multifd);
      expect(spy.channels.map((c) => c.name)).toEqual(["main", ...Array.from({ length: channels }, (_, i) => `multifd/${i}`)]);
      // After SWITCHOVER_START the main channel carries no device data and no config blob: END and
      // FULL sections hold only END_OF_STATE; the stop-copy data and configs went over multifd.
      const records = decodeMain(spy.written);
      const after = records.slice(records.findIndex((x) => x.type === "command" && x.command === "SWITCHOVER_START"));
      expect(after.filter((x) => x.type === "data" || x.type === "config")).toEqual([]);
      expect(after.filter((x) => x.type === "marker").map((x) => (x as { marker: string }).marker)).toEqual(Array(2 * devices).fill("END_OF_STATE"));
      expect(r.source.bytes.multifd.reduce((a, b) => a + b, 0)).toBeGreaterThan(devices * ((2 << 20) - (256 << 10)));
    });
  }

  it("moves 4 devices over 3 TCP channels", async () => {
    const { sources, destinations } = simulatedPair(4, { stateSize: 4 << 20 });
    const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
    const multifd = { channels: 3, checksum: true };
    const r = await runBoth(sources, destinations, { multifd }, { multifd }, { acceptor, dialer: tcpConnect(acceptor.address) });
    expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
    expect(r.destination.devices.map((d) => d.digest)).toEqual(r.source.devices.map((d) => d.digest));
  });

  it("fails at setup when only one end transfers over multifd", async () => {
    const { sources, destinations } = simulatedPair(1);
    const r = await runBoth(sources, destinations, { multifd: { channels: 2 } }, { multifd: { channels: 2, mode: "off" } });
    for (const side of [r.source, r.destination]) {
      expect(side.error).toMatchObject({ code: "ERR_SETUP_MISMATCH" });
      expect(side.error!.message).toContain("capability multifd: source true, destination false");
    }
    expect(sources.map(stateOf)).toEqual(["RUNNING"]);
  });

  it("moves 2 devices over 2 TCP channels with XXH3 checksums", async () => {
    const { sources, destinations } = simulatedPair(2, { stateSize: 2 << 20 });
    const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
    const multifd = { channels: 2, checksum: "xxh3" as const };
    const r = await runBoth(sources, destinations, { multifd }, { multifd }, { acceptor, dialer: tcpConnect(acceptor.address) });
    expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
    expect(r.destination.devices.map((d) => d.digest)).toEqual(r.source.devices.map((d) => d.digest));
  });

  it("fails at setup when the two ends chose different checksums, naming both", async () => {
    const { sources, destinations } = simulatedPair(1);
    const r = await runBoth(sources, destinations, { multifd: { channels: 1, checksum: "crc32c" } }, { multifd: { channels: 1, checksum: "xxh3" } });
    for (const side of [r.source, r.destination]) {
      expect(side.error).toMatchObject({ code: "ERR_SETUP_MISMATCH" });
      expect(side.error!.message).toContain("capability checksum: source crc32c, destination xxh3");
    }
    expect(sources.map(stateOf)).toEqual(["RUNNING"]);
  });

  it("plans each checksum spelling, and refuses an unknown one", () => {
    const plan = (checksum: unknown) => planMultifd({ channels: 1, checksum: checksum as never }).checksum;
    expect([undefined, false, true, "none", "crc32c", "xxh3"].map(plan)).toEqual(["none", "none", "crc32c", "none", "crc32c", "xxh3"]);
    expect(planMultifd({ channels: 0, checksum: "xxh3" }).checksum).toBe("none");
    expect(caught(() => plan("md5"))).toMatchObject({ code: "ERR_MULTIFD_UNSUPPORTED" });
  });

  it("refuses --multifd on without channels before anything changes", async () => {
    const { sources, destinations } = simulatedPair(1);
    const r = await runBoth(sources, destinations, { multifd: { mode: "on" } });
    expect(r.source.error).toMatchObject({ code: "ERR_MULTIFD_UNSUPPORTED" });
    expect(r.source.trace).toEqual([]);
  });

  it("fails the destination on a multifd hello with another uuid", async () => {
    const { sources, destinations } = simulatedPair(1);
    const network = memoryNetwork();
    const multifd = { channels: 1 };
    let dials = 0;
    const dialer = {
      async dial(name: string, signal?: AbortSignal) {
        const channel = await network.dialer.dial(name, signal);
        if (dials++ === 0) return channel;
        // A multifd channel whose hello carries a foreign uuid: the engine's own hello is swallowed.
        await channel.write(encodeMultifdHello({ uuid: new Uint8Array(16).fill(7), channelId: 0 }));
        return { ...channel, name, write: async () => {}, read: channel.read.bind(channel), end: channel.end.bind(channel), destroy: channel.destroy.bind(channel), closed: channel.closed };
      },
    };
    const r = await runBoth(sources, destinations, { multifd }, { multifd }, { dialer, acceptor: network.acceptor });
    expect(r.destination.status).toBe("failed");
    expect(r.destination.error).toMatchObject({ code: "ERR_MULTIFD_BAD_UUID" });
    expect(r.source.status).toBe("failed");
    expect(sources.map(stateOf)).toEqual(["RUNNING"]);
    expect(destinations.map(stateOf)).toEqual(["RUNNING"]);
  });
});
