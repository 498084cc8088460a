// Guarantee 6 on the source: every hostile message from a destination gets a typed error with a
// stable code, and the source resumes with every device RUNNING and its state intact.
import { describe, expect, it } from "vitest";
import { encodeReturnPath, init } from "../../src/codec/index.js";
import { migrate } from "../../src/engine/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { agreeingConfig, hostileDestination, type HostileDestination } from "./hostile-peer.js";
import { stateOf } from "./support.js";

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
