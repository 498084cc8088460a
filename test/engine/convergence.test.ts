import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { ConvergenceMeter, pendingFits, RateLimiter } from "../../src/engine/convergence.js";
import { migrate, receive, type MigrationProgress } from "../../src/engine/index.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { runBoth, simulatedPair } from "./support.js";

await init();

describe("ConvergenceMeter (QEMU's migration_update_counters)", () => {
  it("keeps threshold 0 until the first 100 ms window, then bandwidth x downtime limit", () => {
    const m = new ConvergenceMeter(300, undefined, 1000);
    m.sent(5_000_000);
    expect(m.update(1099)).toBe(false);
    expect(m.thresholdBytes).toBe(0);
    expect(m.update(1100)).toBe(true);
    expect(m.bandwidth).toBe(50_000); // bytes per ms
    expect(m.thresholdBytes).toBe(15_000_000);
    expect(m.update(1250)).toBe(true); // an idle window measures 0
    expect(m.thresholdBytes).toBe(0);
  });

  it("uses the switchover bandwidth instead of the measured one, from the first window on", () => {
    const m = new ConvergenceMeter(500, 800e6, 0);
    expect(m.thresholdBytes).toBe(0);
    m.sent(1);
    m.update(100);
    expect(m.thresholdBytes).toBe(400e6);
    expect(m.expectedBytesPerMs).toBe(800e3);
  });
});

describe("RateLimiter (max-bandwidth)", () => {
  it("allows bandwidth/10 per 100 ms window, then waits for the window's end; 0 is unlimited; disable lifts it", () => {
    const r = new RateLimiter(10_000_000, 0);
    r.sent(999_999);
    expect(r.delayMs(10)).toBe(0);
    r.sent(1);
    expect(r.delayMs(30)).toBe(70);
    expect(r.delayMs(100)).toBe(0);
    r.sent(5_000_000);
    r.disable();
    expect(r.delayMs(120)).toBe(0);
    const unlimited = new RateLimiter(0, 0);
    unlimited.sent(1e12);
    expect(unlimited.delayMs(1)).toBe(0);
  });
});

describe("convergence in a migration", () => {
  it("keeps iterating while the device dirties faster than the rate limit, says why, and switches over when told", async () => {
    const clock = new VirtualClock();
    const { sources, destinations } = simulatedPair(1, { stateSize: 8 << 20, initialBytes: 1 << 20, dirtyRate: 64 << 20, clock });
    const { dialer, acceptor } = memoryNetwork();
    const seen: MigrationProgress[] = [];
    const receiving = receive({ devices: destinations, acceptor, clock });
    const handle = migrate({
      clock,
      devices: sources,
      dialer,
      maxBandwidth: 4 << 20,
      onProgress: (p) => {
        seen.push(p);
        if (seen.filter((x) => x.notConverging).length === 8) handle.switchoverNow();
      },
    });
    const both = Promise.all([handle, receiving]);
    expect(await clock.run(both)).toBe("settled");
    const [source, destination] = await both;
    const reasons = seen.filter((p) => p.notConverging);
    expect(reasons.length).toBeGreaterThanOrEqual(8);
    expect(reasons[0].notConverging).toMatch(/^pending \d+ B is not under the threshold \d+ B \(\d+ B\/s x 300 ms downtime limit\); a switchover bandwidth may help$/);
    expect(reasons.at(-1)!.iteration).toBeGreaterThan(reasons[0].iteration);
    expect([source.status, destination.status]).toEqual(["completed", "completed"]);
    expect(destination.devices[0].digest).toBe(source.devices[0].digest);
  });

  it("holds pre-copy to the max-bandwidth rate limit", async () => {
    // 64 MiB of initial data at 8 MiB/s: still in pre-copy when the test cancels after ~1 virtual s.
    const clock = new VirtualClock();
    const { sources, destinations } = simulatedPair(1, { stateSize: 64 << 20, initialBytes: 64 << 20, clock });
    const controller = new AbortController();
    const samples: { t: number; bytes: number }[] = [];
    const r = await runBoth(sources, destinations, {
      clock,
      maxBandwidth: 8 << 20,
      switchoverBandwidth: undefined,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase !== "active") return;
        samples.push({ t: clock.now(), bytes: p.bytes.main });
        if (samples.length === 10) controller.abort();
      },
    });
    expect(r.source.status).toBe("cancelled");
    const last = samples.at(-1)!;
    // QEMU's rule: a window's 0.8 MiB allowance lets one more 1 MiB chunk through, then waits for the
    // next 100 ms window; so at most one chunk (plus its section framing) per window.
    const windows = Math.ceil(last.t / 100) + 1;
    expect(last.bytes).toBeLessThanOrEqual(windows * ((1 << 20) + 256));
    expect(last.bytes).toBeGreaterThan(2 << 20);
  });
});

describe("the switchover test at the threshold (QEMU's migration_iteration_run)", () => {
  // The source's pre-copy loop and its "not converging" reason both decide with pendingFits.
  it("switches over when nothing is pending or pending < threshold, not at pending == threshold", () => {
    expect(pendingFits(0, 0)).toBe(true);
    expect(pendingFits(299_999, 300_000)).toBe(true);
    expect(pendingFits(300_000, 300_000)).toBe(false);
    expect(pendingFits(1, 0)).toBe(false);
  });
});
