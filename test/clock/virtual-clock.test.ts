import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/virtual-clock.js";

describe("VirtualClock", () => {
  it("stands still until advanced, then fires timers in due order, ties in creation order", async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`z@${clock.now()}`), -5);
    await clock.settle();
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(1000);
    expect(clock.pendingTimers).toBe(4);
    while (await clock.step());
    expect(fired).toEqual(["z@1000", "a@1010", "b@1010", "c@1030"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("lets promise jobs settle before each timer: a timer set by a job fires in order", async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(20), 20);
    // Three promise hops before the job sets its timer: step() must see it before firing t = 20.
    void Promise.resolve()
      .then(() => undefined)
      .then(() => undefined)
      .then(() => clock.setTimeout(() => fired.push(5), 5));
    while (await clock.step());
    expect(fired).toEqual([5, 20]);
  });

  it("skips cleared timers and rejects an aborted sleep without leaving its timer", async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const cleared = clock.setTimeout(() => fired.push(1), 1);
    clock.setTimeout(() => fired.push(2), 2);
    clock.clearTimeout(cleared);
    expect(clock.pendingTimers).toBe(1);
    const controller = new AbortController();
    const sleeping = clock.sleep(100, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextDue).toBe(2);
    await clock.advance(50);
    expect(fired).toEqual([2]);
    expect(clock.now()).toBe(50);
  });

  it("run() reports settled, idle (nothing left to fire) and limit", async () => {
    const clock = new VirtualClock();
    expect(await clock.run(clock.sleep(250))).toBe("settled");
    expect(clock.now()).toBe(250);
    expect(await clock.run(new Promise(() => {}))).toBe("idle");
    const stuck = new Promise(() => {});
    clock.setTimeout(() => {}, 10_000);
    expect(await clock.run(stuck, 1000)).toBe("limit");
    expect(clock.now()).toBe(250);
    expect(await clock.run(stuck)).toBe("idle");
    expect(clock.now()).toBe(10_250);
  });

  it("moves time forward for any positive delay, however small against now()", async () => {
    const clock = new VirtualClock(217.12178098193857);
    const start = clock.now();
    clock.setTimeout(() => {}, 1e-14); // below the float spacing at 217: now + 1e-14 rounds to now
    await clock.step();
    expect(clock.now()).toBeGreaterThan(start);
    clock.setTimeout(() => {}, 0);
    const before = clock.now();
    await clock.step();
    expect(clock.now()).toBe(before); // a zero delay still fires at once
  });

  it("run() stops a timer loop that keeps time standing still after maxSteps firings", async () => {
    const clock = new VirtualClock();
    const spin = (): void => void clock.setTimeout(spin, 0);
    spin();
    expect(await clock.run(new Promise(() => {}), Infinity, 500)).toBe("steps");
    expect(clock.steps).toBe(500);
    expect(clock.now()).toBe(0);
  });
});
