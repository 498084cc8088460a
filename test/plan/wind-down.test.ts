// A planned session told to stop must settle: one that does not is reported, never waited on forever.
import { describe, expect, it } from "vitest";
import { isVfioMigrationError } from "../../src/errors.js";
import { windDown } from "../../src/plan/run.js";
import { VirtualClock } from "../../src/virtual-clock.js";

async function stuck(clock: VirtualClock, session: Promise<unknown>): Promise<string> {
  const error = await windDown(clock, session, "source").then(
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
