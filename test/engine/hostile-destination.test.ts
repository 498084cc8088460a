// Guarantee 6 on the source: every hostile message from a destination gets a typed error with a
// stable code, and the source resumes with every device RUNNING and its state intact.
import { describe, expect, it } from "vitest";
import { encodeReturnPath, init, StreamDecoder } from "../../src/codec/index.js";
import { migrate, receive } from "../../src/engine/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { memoryNetwork } from "../../src/transport/index.js";
import type { Acceptor } from "../../src/transport/types.js";
import { agreeingConfig, hostileDestination, type HostileDestination } from "./hostile-peer.js";
import { stateOf } from "./support.js";
import { VirtualClock } from "../../src/virtual-clock.js";

await init();

/** Migrates `names` (one device each) to a destination running `script`; returns the source's result. */
async function against(script: (d: HostileDestination) => Promise<void>, names = ["0000:00:04.0/vfio"]) {
  const devices = names.map((name, i) => new SimulatedDevice({ name, stateSize: 64 << 10, seed: 1 + i }));
  const before = devices.map((d) => d.digest());
  const network = memoryNetwork();
  const destination = hostileDestination(network.acceptor, script);
  const result = await migrate({ devices, dialer: network.dialer, switchoverBandwidth: 1e9 });
  await destination;
  await network.acceptor.close();
  expect(devices.map(stateOf)).toEqual(devices.map(() => "RUNNING"));
  expect(devices.map((d) => d.digest())).toEqual(before);
  return result;
}

const report = (json: unknown): Uint8Array => encodeReturnPath({ type: "report", json });
const shut = (status: number): Uint8Array => encodeReturnPath({ type: "shut", status });

/** A destination that agrees at setup, reads everything up to EOF, then sends `messages`. */
const atTheEnd = (...messages: Uint8Array[]) => async (d: HostileDestination) => {
  await d.send(agreeingConfig(d.config));
  await d.until("eof");
  for (const m of messages) await d.send(m);
  await d.until("eof"); // waits for the source to end or cut the channel
};

describe("hostile destination messages", () => {
  it("a REPORT whose body is null", async () => {
    const r = await against(atTheEnd(report(null), shut(0)));
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_MIGRATION_PROTOCOL" });
    expect(r.error!.message).toMatch(/^main: .*REPORT/);
  });

  it("a REPORT whose error is a number", async () => {
    const r = await against(atTheEnd(report({ status: "failed", error: 5 }), shut(1)));
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_MIGRATION_PROTOCOL" });
    expect(r.error!.message).toMatch(/^main: .*REPORT/);
  });

  it("a REPORT with a status nobody defined", async () => {
    const r = await against(atTheEnd(report({ status: "done" }), shut(0)));
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_MIGRATION_PROTOCOL" });
  });

  it("a REPORT saying failed, then SHUT(0): the source does not complete", async () => {
    const r = await against(atTheEnd(report({ status: "failed", error: { code: "ERR_X", message: "it broke" } }), shut(0)));
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_PEER_FAILED", peerCode: "ERR_X" });
  });

  it("a CONFIG whose device list joins to the same string as ours (A#0,B)", async () => {
    const r = await against(async (d) => {
      await d.send(agreeingConfig({ ...d.config, devices: [{ ...d.config.devices[0], name: "A#0,B" }] }));
      await d.until("eof");
    }, ["A", "B"]);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_SETUP_MISMATCH" });
    expect(r.error!.message).toContain("devices:");
  });

  it("a CONFIG that is no setup configuration", async () => {
    const r = await against(async (d) => {
      await d.send(encodeReturnPath({ type: "config", json: [1, 2] }));
      await d.until("eof");
    });
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_MIGRATION_PROTOCOL" });
  });
});

describe("a flipped bit in our destination's REPORT", () => {
  /** An acceptor whose main channel flips bit `bit` of byte `at` of what the destination writes. */
  function flipping(acceptor: Acceptor, flip?: { at: number; bit: number }) {
    const written: number[] = [];
    const tapped: Acceptor = {
      accept: async (signal) => {
        const c = await acceptor.accept(signal);
        const write = c.write.bind(c);
        c.write = (bytes) => {
          const start = written.length;
          written.push(...bytes);
          if (!flip || flip.at < start || flip.at >= start + bytes.length) return write(bytes);
          const copy = bytes.slice();
          copy[flip.at - start] ^= 1 << flip.bit;
          return write(copy);
        };
        return c;
      },
      close: () => acceptor.close(),
    };
    return { acceptor: tapped, written };
  }

  async function run(flip?: { at: number; bit: number }) {
    const network = memoryNetwork();
    const tap = flipping(network.acceptor, flip);
    const clock = new VirtualClock(); // the stall and resolution waits take no wall time
    const source = new SimulatedDevice({ name: "0000:00:04.0/vfio", stateSize: 64 << 10, clock });
    const before = source.digest();
    // A flip that breaks the end game leaves each end waiting for the other: short timeouts end it.
    const timeouts = { stallTimeoutMs: 300, resolutionTimeoutMs: 100 };
    const receiving = receive({ devices: [new SimulatedDevice({ name: "0000:00:04.0/vfio", stateSize: 64 << 10, seed: 7, clock })], acceptor: tap.acceptor, clock, ...timeouts });
    const migrating = migrate({ devices: [source], dialer: network.dialer, switchoverBandwidth: 1e9, clock, ...timeouts });
    const both = Promise.all([migrating, receiving]);
    expect(await clock.run(both)).toBe("settled");
    const [s] = await both;
    await network.acceptor.close();
    return { s, before, source, written: Uint8Array.from(tap.written) };
  }

  it("gets a typed error, or a report that still says completed; a failed source is intact", async () => {
    const clean = await run();
    const decoder = new StreamDecoder({ kind: "return-path" });
    decoder.push(clean.written);
    const recs = [...decoder.records()];
    const report = recs.find((r) => r.type === "report")!;
    const end = recs[recs.indexOf(report) + 1].offset;
    const codes = new Set<string>();
    // Every 3rd byte of the REPORT (header and JSON), the bit moving with the offset.
    for (let at = report.offset; at < end; at += 3) {
      const { s, before, source } = await run({ at, bit: at % 8 });
      if (s.status === "completed") {
        expect(s.peerReport?.status).toBe("completed");
        continue;
      }
      const code = (s.error as { code?: string }).code;
      // A flip that lengthens the message leaves an end waiting for bytes: a stall timeout ends it.
      expect(code, `flip at ${at}: ${s.error?.message}`).toMatch(/^ERR_(RP_|MIGRATION_PROTOCOL$|PEER_|CHANNEL_)/);
      expect(stateOf(source)).toBe("RUNNING");
      expect(source.digest()).toBe(before);
      codes.add(code!);
    }
    expect(codes.size).toBeGreaterThan(0);
  });
});
