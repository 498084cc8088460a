import { describe, expect, it } from "vitest";
import { parse } from "../../src/cli/command.js";
import { buildDevices } from "../../src/cli/devices.js";
import { DEVICE_OPTIONS } from "../../src/cli/options.js";
import { init } from "../../src/codec/index.js";
import { sendReceive } from "./run-cli.js";

await init();

/** `receive` and `send` with the same device options, plus each side's own. */
function pair(deviceArgs: string[], sendArgs: string[] = [], receiveArgs: string[] = []) {
  return sendReceive([...deviceArgs, ...receiveArgs], [...deviceArgs, ...sendArgs]);
}

describe("vfio-migration send / receive as two processes over TCP", () => {
  for (const [devices, size] of [["1", "60"], ["3", "4MiB"], ["8", "512KiB"]]) {
    it(`moves ${devices} device(s) of ${size}; each side prints its own digests, and they are equal`, async () => {
      const { send, receive, source, destination } = await pair(["--devices", devices, "--state-size", size], ["--switchover-bandwidth", "1GB"]);
      expect([send.code, receive.code]).toEqual([0, 0]);
      expect([source.status, destination.status]).toEqual(["completed", "completed"]);
      expect(source.downtimeMs).toBeGreaterThan(0);
      expect(destination.downtimeMs).toBeNull();
      for (const [i, d] of source.devices.entries()) {
        expect(d.destinationDigest).toBeNull();
        expect(destination.devices[i].sourceDigest).toBeNull();
        expect(destination.devices[i].destinationDigest).toBe(d.sourceDigest);
        expect(d.finalState).toBe("STOP");
        expect(destination.devices[i].finalState).toBe("RUNNING");
      }
      expect(source.trace.every((e: { side: string }) => e.side === "source")).toBe(true);
      expect(destination.trace.every((e: { side: string }) => e.side === "destination")).toBe(true);
    });
  }

  it("fails both at setup when only one end has --switchover-ack", async () => {
    const { send, receive, source, destination } = await pair(["--state-size", "1MiB"], ["--switchover-ack"]);
    expect([send.code, receive.code]).toEqual([1, 1]);
    for (const r of [source, destination]) {
      expect(r.error.code).toBe("ERR_SETUP_MISMATCH");
      expect(r.error.message).toContain("capability switchoverAck: source true, destination false");
    }
  });

  it("moves 4 devices over 4 channels on threads of their own, XXH3-checked; digests equal", async () => {
    const args = ["--devices", "4", "--state-size", "8MiB", "--channels", "4", "--multifd", "on", "--checksum", "xxh3"];
    const { send, receive, source, destination } = await pair(args, ["--switchover-bandwidth", "1GB", "--channel-threads", "on"]);
    expect([send.code, receive.code]).toEqual([0, 0]);
    expect(source.bytes.multifd.every((n: number) => n > 0)).toBe(true);
    expect(destination.devices.map((d: { destinationDigest: string }) => d.destinationDigest)).toEqual(source.devices.map((d: { sourceDigest: string }) => d.sourceDigest));
  });

  it("migrates with switchover-ack on both ends", async () => {
    const { source, destination } = await pair(["--state-size", "4MiB", "--initial-size", "1MiB", "--load-delay", "600", "--switchover-ack"], ["--switchover-bandwidth", "1GB"]);
    expect([source.status, destination.status]).toEqual(["completed", "completed"]);
    expect(destination.devices[0].destinationDigest).toBe(source.devices[0].sourceDigest);
    // The 600 ms load of the initial data happened before the switchover, outside the downtime.
    expect(source.downtimeMs).toBeLessThan(400);
  });
});
