import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { plan } from "../../src/plan/index.js";

describe("plan() in a real browser", () => {
  it("runs the engine on virtual time in Chromium, the same rows twice", async () => {
    expect((globalThis as { process?: unknown }).process).toBeUndefined();
    await init();
    const options = {
      device: { devices: 2, stateSize: 2 ** 20, initialBytes: 2 ** 18, saveBytesPerSecond: 100e6, loadBytesPerSecond: 100e6 },
      link: { bandwidth: 1e9, latencyMs: 1 },
      sweep: { multifd: ["on", "off"] as const, downtimeLimit: 1000 },
    };
    const first = await plan({ ...options, sweep: { ...options.sweep, multifd: [...options.sweep.multifd] } });
    expect(first.rows.map((r) => [r.multifd, r.converged])).toEqual([["on", true], ["off", true]]);
    // Multifd saves the two devices in parallel: less downtime than one after the other.
    expect(first.rows[0].downtimeMs!).toBeLessThan(first.rows[1].downtimeMs!);
    const second = await plan({ ...options, sweep: { ...options.sweep, multifd: [...options.sweep.multifd] } });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });
});
