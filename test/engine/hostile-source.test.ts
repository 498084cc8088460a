// Guarantee 6 on the destination: hostile main-channel input gets a typed error, its memory stays
// bounded, and its devices end RUNNING with the partial state discarded.
import { describe, expect, it } from "vitest";
import { encodeMarker, encodeSectionFooter, encodeSectionStart, init, SectionType, VfioMarker } from "../../src/codec/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { receive, type MigrationResult } from "../../src/engine/index.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { concat } from "../codec/helpers.js";
import { hostileSource, type HostileSource } from "./hostile-peer.js";
import { stateOf } from "./support.js";

await init();

const NAME = "0000:00:04.0/vfio";

/** Receives into one device from a source running `script`; returns the destination's result. */
async function from(script: (s: HostileSource) => Promise<void>): Promise<MigrationResult> {
  const devices = [new SimulatedDevice({ name: NAME, stateSize: 64 << 10 })];
  const network = memoryNetwork();
  const receiving = receive({ devices, acceptor: network.acceptor });
  await hostileSource(network.dialer, devices.map((d) => new SimulatedDevice({ name: d.name, stateSize: 64 << 10 })), script);
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
