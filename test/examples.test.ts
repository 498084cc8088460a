import { describe, expect, it } from "vitest";
import { DeviceState } from "../src/index.js";
import { migrateRegisters } from "../examples/register-device.js";
import { tcpMigration } from "../examples/tcp-migration.js";

describe("examples/register-device.ts (the README's custom device)", () => {
  it("migrates its registers with the real engine", async () => {
    const values = [1, 2, 3, 0xdeadbeef, 42];
    const { sent, received, destination } = await migrateRegisters(values);
    expect(sent.status).toBe("completed");
    expect(received.status).toBe("completed");
    expect(Array.from(destination.registers.subarray(0, values.length))).toEqual(values);
    expect(destination.state).toBe(DeviceState.RUNNING);
    expect(received.devices[0].digest).toBe(sent.devices[0].digest);
  });
});

describe("examples/tcp-migration.ts (the README's API example)", () => {
  it("completes over loopback TCP with equal digests", async () => {
    const { sent, received } = await tcpMigration();
    expect(sent.status).toBe("completed");
    expect(received.status).toBe("completed");
    expect(sent.devices[0].digest).toMatch(/^crc32c:/);
    expect(received.devices[0].digest).toBe(sent.devices[0].digest);
  });
});
