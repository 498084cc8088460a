import { describe, expect, it } from "vitest";
import { runCase, runCases, sweepCases } from "./relay-sweep.js";

// A fixed sample of the sweep (`npm run relay-sweep` runs all 27 cases; docs/reliability.md).
// About 10 s on a loaded 2-core machine: one clean run (it places the cut points), then 3 cases at once.
/** Shorter bounds than the sweep's, to keep the suite fast; a false stall under load only makes a run fail safely. */
const TIMEOUT_ARGS = ["--setup-timeout", "10000", "--stall-timeout", "1000", "--resolution-timeout", "800"];
const SAMPLE = ["main to-source cut 13 B before its end", "main to-destination cut 1 B before its end", "main stalled after SWITCHOVER_START"];

describe("send and receive as two processes through a TCP fault relay", () => {
  it("never runs both VMs, never completes a source whose destination did not start, always ends", async () => {
    const clean = await runCase({ name: "clean" });
    expect(clean.violations).toEqual([]);
    expect([clean.source?.status, clean.destination?.status]).toEqual(["completed", "completed"]);
    expect(clean.connections).toHaveLength(3);

    const cases = sweepCases(clean.connections)
      .filter((c) => SAMPLE.includes(c.name))
      .map((c) => ({ ...c, timeoutArgs: TIMEOUT_ARGS }));
    expect(cases.map((c) => c.name)).toEqual(SAMPLE);
    const outcomes = await runCases(cases, cases.length);
    for (const o of outcomes) {
      // On failure the whole outcome shows what happened (statuses, errors, bytes per connection).
      expect({ name: o.name, fired: o.fired, violations: o.violations }, JSON.stringify({ clean: clean.connections, o })).toEqual({ name: o.name, fired: true, violations: [] });
    }
    // The COMMIT cut short: the source learns the outcome over a recovery connection (or, with the
    // relay gone, says it is in doubt); it never resumes a VM the destination may run.
    const commitCut = outcomes[1];
    expect(["completed", "in-doubt"]).toContain(commitCut.source?.status);
    // Stalled after SWITCHOVER_START: the source had not committed, so it runs again.
    expect(outcomes[2].source?.status).toBe("failed");
    expect(outcomes[2].source?.devices.map((d) => d.finalState)).toEqual(["RUNNING", "RUNNING"]);
  });
});
