// A planned migration ends at its horizon, and a session told to stop must settle: one that cannot
// is reported as an engine bug, never waited on forever.
import { describe, expect, it } from "vitest";
import { isVfioMigrationError } from "../../src/errors.js";
import { runToHorizon, windDown } from "../../src/plan/run.js";
import { VirtualClock } from "../../src/virtual-clock.js";

type Run = (clock: VirtualClock, session: Promise<unknown>, side: "source" | "destination") => Promise<unknown>;

async function stuck(clock: VirtualClock, session: Promise<unknown>, run: Run = windDown): Promise<string> {
  const error = await run(clock, session, "source").then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isVfioMigrationError(error)) throw new Error(`expected a VfioMigrationError, got ${String(error)}`);
  expect(error.code).toBe("ERR_PLAN_STUCK");
  return error.message;
}

describe("windDown", () => {
  it("returns once the session settles on the clock's timers", async () => {
    const clock = new VirtualClock();
    const session = new Promise<void>((resolve) => clock.setTimeout(resolve, 59_000));
    await windDown(clock, session, "destination");
    expect(clock.now()).toBe(59_000);
  });

  it("reports a session that waits on nothing a timer can end", async () => {
    const message = await stuck(new VirtualClock(), new Promise(() => undefined));
    expect(message).toMatch(/source did not stop .* waits on nothing/);
  });

  it("reports a session still running after the wind-down time", async () => {
    const clock = new VirtualClock();
    const tick = (): void => void clock.setTimeout(tick, 1000);
    tick();
    expect(await stuck(clock, new Promise(() => undefined))).toMatch(/ran 60 s \(virtual\)/);
    expect(clock.now()).toBe(60_000);
  });

  it("reports timers re-armed while time stands still, which no time limit would stop", async () => {
    const clock = new VirtualClock();
    const spin = (): void => void clock.setTimeout(spin, 0);
    spin();
    expect(await stuck(clock, new Promise(() => undefined))).toMatch(/fired 100000 timers/);
    expect(clock.now()).toBe(0);
  });
});

describe("runToHorizon", () => {
  const never = (): Promise<void> => new Promise(() => undefined);
  const toHorizon = (horizonMs: number, minSteps?: number) => (clock: VirtualClock, session: Promise<unknown>) =>
    runToHorizon(clock, session, horizonMs, minSteps);

  it("says whether the migration settled or its next timer lies past the horizon", async () => {
    const clock = new VirtualClock();
    const session = new Promise<void>((resolve) => clock.setTimeout(resolve, 5_000));
    expect(await runToHorizon(clock, session, 10_000)).toBe("settled");
    const late = new VirtualClock();
    late.setTimeout(() => undefined, 20_000);
    expect(await runToHorizon(late, never(), 10_000)).toBe("limit");
  });

  it("reports a migration that waits on nothing a timer can end", async () => {
    expect(await stuck(new VirtualClock(), never(), toHorizon(10_000))).toMatch(/^plan: the source waits on nothing a timer can end \(a bug in the engine\)$/);
  });

  it("reports a migration that spends its timer budget while time stands still", async () => {
    const clock = new VirtualClock();
    const spin = (): void => void clock.setTimeout(spin, 0);
    spin();
    expect(await stuck(clock, never(), toHorizon(0, 1000))).toMatch(/fired 1000 timers within 0 s \(virtual\)/);
  });
});
