// Guarantee 6 on the destination: hostile main-channel input gets a typed error, its memory stays
// bounded, and its devices end RUNNING with the partial state discarded.
import { describe, expect, it } from "vitest";
import { encodeEof, encodeMarker, encodeSectionFooter, encodeSectionStart, init, SectionType, StreamDecoder, VfioMarker } from "../../src/codec/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { migrate, receive, type MigrationResult, type MultifdOptions } from "../../src/engine/index.js";
import type { MultifdPlan } from "../../src/engine/options.js";
import type { Dialer } from "../../src/transport/types.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { concat } from "../codec/helpers.js";
import { hostileSource, type HostileSource } from "./hostile-peer.js";
import { stateOf } from "./support.js";

await init();

const NAME = "0000:00:04.0/vfio";

/** Receives into one device from a source running `script`; returns the destination's result. */
async function from(script: (s: HostileSource) => Promise<void>, multifd?: MultifdOptions, plan?: MultifdPlan): Promise<MigrationResult> {
  const devices = [new SimulatedDevice({ name: NAME, stateSize: 64 << 10 })];
  const network = memoryNetwork();
  const receiving = receive({ devices, acceptor: network.acceptor, multifd });
  await hostileSource(network.dialer, devices.map((d) => new SimulatedDevice({ name: d.name, stateSize: 64 << 10 })), script, plan);
  const result = await receiving;
  await network.acceptor.close();
  expect(devices.map(stateOf)).toEqual(["RUNNING"]);
  return result;
}

/** A complete section of `type` for our device under `sectionId`, holding only DEV_SETUP_STATE/END_OF_STATE. */
const section = (type: SectionType.START | SectionType.FULL, sectionId: number): Uint8Array =>
  concat(
    encodeSectionStart({ type, sectionId, idstr: NAME, instanceId: 0, version: 1 }),
    ...(type === SectionType.START ? [encodeMarker(VfioMarker.DEV_SETUP_STATE)] : []),
    encodeMarker(VfioMarker.END_OF_STATE),
    encodeSectionFooter(sectionId),
  );

describe("hostile sources: section ids", () => {
  it("a device's sections start once: 1,000 STARTs with distinct ids fail at the second", async () => {
    const r = await from(async (s) => {
      await s.send(concat(...Array.from({ length: 1000 }, (_, i) => section(SectionType.START, i + 1))));
    });
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_MIGRATION_PROTOCOL" });
    expect(r.error!.message).toBe(`main: ${NAME} started twice (section ids 1 and 2)`);
  });

  it("a FULL section under another id than the device's START", async () => {
    const r = await from(async (s) => {
      await s.send(concat(section(SectionType.START, 1), section(SectionType.FULL, 7)));
    });
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_MIGRATION_PROTOCOL" });
    expect(r.error!.message).toBe(`main: ${NAME} has section id 1, not 7`);
  });
});

describe("hostile sources: after EOF", () => {
  for (const [what, trailer, code] of [
    ["trailing garbage", Uint8Array.of(0x99, 1, 2, 3), "ERR_WIRE_TRAILING_BYTES"],
    ["a VM description of length 2^32-1", Uint8Array.of(0x06, 0xff, 0xff, 0xff, 0xff), "ERR_WIRE_TOO_LARGE"],
    ["a VM description that is not JSON", concat(Uint8Array.of(0x06, 0, 0, 0, 3), new TextEncoder().encode("{x}")), "ERR_WIRE_BAD_JSON"],
  ] as const) {
    it(`${what} fails the destination (${code})`, async () => {
      const network = memoryNetwork();
      const source = new SimulatedDevice({ name: NAME, stateSize: 64 << 10 });
      const destination = new SimulatedDevice({ name: NAME, stateSize: 64 << 10 });
      const receiving = receive({ devices: [destination], acceptor: network.acceptor });
      await migrate({ devices: [source], dialer: appendAfterEof(network.dialer, trailer), switchoverBandwidth: 1e9 });
      const r = await receiving;
      await network.acceptor.close();
      expect(r.status).toBe("failed");
      expect(r.error).toMatchObject({ code });
      expect(stateOf(destination)).toBe("RUNNING");
    });
  }

  it("the source closes after EOF while the multifd channels never came: the destination fails at once", async () => {
    const plan = { channels: 1, transfer: true, checksum: false } as unknown as MultifdPlan;
    const r = await from(async (s) => {
      await s.send(encodeEof());
      await s.channel.end();
    }, { channels: 1, mode: "on" }, plan);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_PEER_CLOSED" });
    expect(r.error!.message).toMatch(/^main: .*multifd/);
  });
});

/** A dialer whose main channel sends `trailer` right behind the source's EOF, in the same write. */
function appendAfterEof(dialer: Dialer, trailer: Uint8Array): Dialer {
  return {
    async dial(name, signal) {
      const channel = await dialer.dial(name, signal);
      if (name !== "main") return channel;
      const decoder = new StreamDecoder({ kind: "main" });
      const write = channel.write.bind(channel);
      channel.write = (bytes) => {
        decoder.push(bytes.slice());
        const eof = [...decoder.records()].some((r) => r.type === "eof");
        return write(eof ? concat(bytes, trailer) : bytes);
      };
      return channel;
    },
  };
}
