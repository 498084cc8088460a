// The planner: the real engine on virtual time, so its answers are deterministic and keep the
// published effects (switchover-ack, multifd) in direction and size.
import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { isVfioMigrationError } from "../../src/errors.js";
import { bestRow, plan, type PlanRow } from "../../src/plan/index.js";
import { runConfiguration } from "../../src/plan/run.js";
import { planScale, PLAN_STATE_BYTES } from "../../src/plan/scale.js";
import { DEFAULT_SETTINGS, expandSweep } from "../../src/plan/sweep.js";

await init();

const MiB = 2 ** 20;
const limits = { horizonMs: 600_000, maxBytes: 2 ** 40 };

describe("plan()", () => {
  it("gives byte-identical rows for the same inputs, twice", async () => {
    const options = {
      device: { devices: 2, stateSize: 2 * MiB, initialBytes: MiB, dirtyRate: 4e6, saveBytesPerSecond: 200e6, loadBytesPerSecond: 200e6 },
      link: { bandwidth: 500e6, latencyMs: 2 },
      sweep: { channels: [0, 2], switchoverAck: [true, false], downtimeLimit: 100 },
    };
    const first = JSON.stringify(await plan(options));
    const second = JSON.stringify(await plan(options));
    expect(first).toBe(second);
    const parsed = JSON.parse(first) as { rows: PlanRow[] };
    expect(parsed.rows).toHaveLength(4);
    expect(parsed.rows.every((r) => r.converged && r.downtimeMs! > 0 && r.bytes >= 4 * MiB)).toBe(true);
  });

  it("keeps switchover-ack's effect: the load delay leaves the downtime (at least 4x lower)", async () => {
    // The issue 5 migration at 1/10 of its size: 30 MB, 1480 ms of resource allocation on load.
    const { rows } = await plan({
      device: { devices: 1, stateSize: 30e6, initialBytes: 1e6, dirtyRate: 0, loadDelayMs: 1480 },
      link: { bandwidth: 100e6 },
      sweep: { switchoverAck: [false, true], downtimeLimit: 500, bandwidth: 80e6, switchoverBandwidth: 80e6 },
    });
    const [without, withAck] = rows;
    expect(without.downtimeMs! / withAck.downtimeMs!).toBeGreaterThanOrEqual(4);
    // Without the ACK the 1480 ms allocation is inside the downtime; with it, only the stop-copy is.
    expect(without.downtimeMs!).toBeGreaterThan(1480);
    expect(withAck.downtimeMs!).toBeLessThan(1480 / 4);
  });

  it("keeps multifd's effect with 4 devices: downtime at most 0.6x, falling with channels", async () => {
    const { rows, best } = await plan({
      device: { devices: 4, stateSize: 4 * MiB, initialBytes: MiB, dirtyRate: 0, saveBytesPerSecond: 250e6, loadBytesPerSecond: 250e6 },
      link: { bandwidth: 2e9 },
      sweep: { channels: [0, 2, 4], multifd: ["on", "off"], downtimeLimit: 5000 },
    });
    const on = rows.filter((r) => r.multifd === "on" && r.converged);
    const off = rows.filter((r) => r.multifd === "off");
    expect(on.map((r) => r.channels)).toEqual([2, 4]);
    // multifd on with no channel is refused by the engine, and says why.
    expect(rows[0]).toMatchObject({ channels: 0, multifd: "on", converged: false, downtimeMs: null });
    expect(rows[0].reason).toMatch(/no multifd channels/);
    for (const r of on) expect(r.downtimeMs! / off[0].downtimeMs!).toBeLessThanOrEqual(0.6);
    for (let i = 1; i < on.length; i++) expect(on[i].downtimeMs!).toBeLessThanOrEqual(on[i - 1].downtimeMs!);
    expect(best).toBe(rows.find((r) => r.converged && r.downtimeMs === Math.min(...on.map((o) => o.downtimeMs!))));
  });

  it("says when a migration cannot converge, and why, within its byte budget", async () => {
    const result = await plan({
      device: { devices: 1, stateSize: 4 * MiB, dirtyRate: 400e6 },
      link: { bandwidth: 20e6 },
      sweep: { downtimeLimit: 5, bandwidth: 0 },
      maxPasses: 3,
    });
    expect(result.best).toBeNull();
    const [row] = result.rows;
    expect(row.converged).toBe(false);
    expect(row.downtimeMs).toBeNull();
    expect(row.reason).toMatch(/^did not converge: moved 3x the state, \d+ B pending, \d+ B allowed$/);
    expect(row.bytes).toBeGreaterThan(3 * 4 * MiB);
  });

  it("gives up at the horizon on virtual time", async () => {
    const { rows } = await plan({
      device: { devices: 1, stateSize: 4 * MiB, dirtyRate: 400e6 },
      link: { bandwidth: 20e6 },
      sweep: { downtimeLimit: 5, bandwidth: 10e6 },
      horizonMs: 2000,
    });
    expect(rows[0]).toMatchObject({ converged: false, downtimeMs: null });
    expect(rows[0].reason).toMatch(/^did not converge within 2 s: /);
    expect(rows[0].totalMs).toBeGreaterThanOrEqual(2000);
  });

  it("refuses a model it cannot run, with a typed error", async () => {
    const err = await plan({ device: { devices: 0, stateSize: MiB }, link: { bandwidth: 1e9 } }).catch((e: unknown) => e);
    expect(isVfioMigrationError(err) && err.code).toBe("ERR_PLAN_OPTIONS");
    expect((err as Error).message).toMatch(/devices must be an integer in 1\.\.64, got 0/);
  });
});

describe("scaling a large model down", () => {
  it("picks a power of two that brings the state to the planning size", () => {
    expect(planScale({ devices: 4, stateSize: 16 * MiB })).toBe(1);
    expect(planScale({ devices: 1, stateSize: 2 ** 40 })).toBe(2 ** 40 / PLAN_STATE_BYTES);
    // A scaled device keeps at least 16 MiB, however many devices.
    expect(planScale({ devices: 64, stateSize: 64 * MiB })).toBe(4);
  });

  it("leaves times nearly unchanged (within 5%) when every size and rate is divided", async () => {
    const model = { devices: 2, stateSize: 32 * MiB, initialBytes: 32 * MiB, dirtyRate: 30e6, loadDelayMs: 20 };
    const settings = { ...DEFAULT_SETTINGS, switchoverAck: true, downtimeLimit: 100, bandwidth: 0 };
    const exact = await runConfiguration(model, { bandwidth: 1e9, latencyMs: 1 }, settings, 1, limits);
    const scaled = await runConfiguration(model, { bandwidth: 1e9, latencyMs: 1 }, settings, 4, limits);
    expect(exact.converged && scaled.converged).toBe(true);
    expect(Math.abs(scaled.totalMs / exact.totalMs - 1)).toBeLessThan(0.05);
    expect(Math.abs(scaled.downtimeMs! - exact.downtimeMs!)).toBeLessThan(0.05 * exact.totalMs);
    expect(Math.abs(scaled.bytes / exact.bytes - 1)).toBeLessThan(0.05);
  });
});

describe("sweeps", () => {
  it("expands every combination, the first setting slowest, defaults elsewhere", () => {
    const combos = expandSweep({ channels: [2, 4], switchoverAck: [true, false], downtimeLimit: 100 });
    expect(combos.map((c) => [c.channels, c.switchoverAck, c.downtimeLimit, c.multifd])).toEqual([
      [2, true, 100, "auto"],
      [2, false, 100, "auto"],
      [4, true, 100, "auto"],
      [4, false, 100, "auto"],
    ]);
    expect(() => expandSweep({ channels: [] })).toThrow(/no values to try for channels/);
  });

  it("picks the best converged row for the objective, the earlier on a tie", () => {
    const row = (downtimeMs: number | null, totalMs: number): PlanRow => ({ ...DEFAULT_SETTINGS, downtimeMs, totalMs, bytes: 0, iterations: 0, converged: downtimeMs !== null });
    const rows = [row(null, 1), row(50, 900), row(40, 1000), row(40, 800)];
    expect(bestRow(rows, "downtime")).toBe(rows[2]);
    expect(bestRow(rows, "total")).toBe(rows[3]);
    expect(bestRow([row(null, 1)], "total")).toBeNull();
  });
});
