// The deterministic simulation in the suite: a fixed set of seeds, every guarantee checked after each.
import { describe, expect, it } from "vitest";
import { describeFailure, drawScenario, fingerprint, prepareSimulation, runSeed, type SeedResult, type ViolationKind } from "../../src/sim/dst/index.js";

await prepareSimulation();

/**
 * A clause the engine does not meet yet (issue 11, guarantee 4: nothing left behind): on some
 * failures the destination ends while a device write it started is still running. The runner
 * checks and reports it; this suite lists the seeds that break it without failing.
 */
const OPEN: ReadonlySet<ViolationKind> = new Set(["leftover"]);
const SEEDS = 200;

describe("deterministic simulation", () => {
  it(`seeds 1..${SEEDS}: every run ends, completed runs carry the source's state, failures are typed`, async () => {
    const results: SeedResult[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) results.push(await runSeed(seed));
    const open = results.filter((r) => r.violations.some((v) => OPEN.has(v.kind)));
    if (open.length) console.log(`open clause broken by seeds ${open.map((r) => r.seed).join(", ")}:\n${open.map(describeFailure).join("\n")}`);
    const broken = results.filter((r) => r.violations.some((v) => !OPEN.has(v.kind)));
    expect(broken.map(describeFailure)).toEqual([]);
    // The set is not trivial: it completes, fails and cancels, clean and under faults.
    const statuses = new Set(results.map((r) => `${r.outcome.source.status}/${r.outcome.destination.status}`));
    expect(statuses).toContain("completed/completed");
    expect(statuses).toContain("failed/failed");
    expect([...statuses].some((s) => s.startsWith("cancelled"))).toBe(true);
    expect(results.filter((r) => r.outcome.source.status === "completed").length).toBeGreaterThan(SEEDS / 3);
    expect(results.filter((r) => r.outcome.scenario.linkFaults.length > 0).length).toBeGreaterThan(SEEDS / 10);
  });

  it("replays a seed exactly: the same scenario and the same run, to the virtual microsecond", async () => {
    for (const seed of [3, 7, 22, 30]) {
      expect(drawScenario(seed)).toEqual(drawScenario(seed));
      const first = fingerprint((await runSeed(seed)).outcome);
      expect(fingerprint((await runSeed(seed)).outcome)).toBe(first);
    }
    expect(fingerprint((await runSeed(3)).outcome)).not.toBe(fingerprint((await runSeed(4)).outcome));
  });
});
