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
const SLICE = 25;

describe("deterministic simulation", () => {
  const results: SeedResult[] = [];
  // In slices, so that each test stays far below the timeout on a loaded machine.
  for (let from = 1; from <= SEEDS; from += SLICE) {
    const to = Math.min(SEEDS, from + SLICE - 1);
    it(`seeds ${from}..${to}: every run ends, completed runs carry the source's state, failures are typed`, async () => {
      const slice: SeedResult[] = [];
      for (let seed = from; seed <= to; seed++) slice.push(await runSeed(seed));
      results.push(...slice);
      const open = slice.filter((r) => r.violations.some((v) => OPEN.has(v.kind)));
      if (open.length) console.log(`open clause broken by seeds ${open.map((r) => r.seed).join(", ")}:\n${open.map(describeFailure).join("\n")}`);
      const broken = slice.filter((r) => r.violations.some((v) => !OPEN.has(v.kind)));
      expect(broken.map(describeFailure)).toEqual([]);
    });
  }

  it(`seeds 1..${SEEDS} are not trivial: they complete, fail and cancel, clean and under faults`, () => {
    expect(results).toHaveLength(SEEDS);
    const statuses = new Set(results.map((r) => `${r.outcome.source.status}/${r.outcome.destination.status}`));
    expect(statuses).toContain("completed/completed");
    expect(statuses).toContain("failed/failed");
    expect([...statuses].some((s) => s.startsWith("cancelled"))).toBe(true);
    expect(results.filter((r) => r.outcome.source.status === "completed").length).toBeGreaterThan(SEEDS / 3);
    expect(results.filter((r) => r.outcome.scenario.linkFaults.length > 0).length).toBeGreaterThan(SEEDS / 10);
  });

  it("seed 409: a destination cancelled while it waits for multifd channels leaves no rejection unhandled", async () => {
    // Found by the long sweep: Cancellation.race threw on an aborted signal without reading the
    // accept it was given, whose own rejection then went unhandled (and ended the process).
    const result = await runSeed(409);
    expect(result.outcome.destination.status).toBe("cancelled");
    expect(result.violations.filter((v) => v.kind === "unhandled")).toEqual([]);
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
