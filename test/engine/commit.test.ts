import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { migrate, receive, VmRunState, type MigrationResult } from "../../src/engine/index.js";
import { MigrationFlags } from "../../src/index.js";
import { memoryNetwork } from "../../src/transport/index.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import type { Dialer } from "../../src/transport/types.js";
import { faultyDialer, type CommitFaults } from "./commit-faults.js";
import { runBoth, simulatedPair, stateOf } from "./support.js";

await init();

/** The defaults, spelled out: every run is on a VirtualClock, so they cost no wall time. */
const TIMEOUTS = { stallTimeoutMs: 10_000, resolutionTimeoutMs: 10_000, setupTimeoutMs: 5000 };

/** Both VMs: every start checks that the other VM is not running (guarantee 1 at each instant it could break). */
class Vms {
  overlaps = 0;
  readonly source: VmRunState;
  readonly destination: VmRunState;
  constructor() {
    const check = (): void => {
      if (this.source.running && this.destination.running) this.overlaps++;
    };
    class Checked extends VmRunState {
      override async start(): Promise<void> {
        await super.start();
        check();
      }
    }
    this.source = new Checked();
    this.destination = new Checked({ running: false });
  }
}

interface Options {
  faults?: CommitFaults;
  /** Cancels the source this long (virtual ms) after it started. */
  cancelSourceAtMs?: number;
  destinationStartFails?: boolean;
  commit?: { source?: boolean; destination?: boolean };
}

async function run({ faults = {}, destinationStartFails = false, commit = {}, cancelSourceAtMs }: Options = {}) {
  const clock = new VirtualClock();
  const cancel = new AbortController();
  const cancelTimer = cancelSourceAtMs === undefined ? undefined : clock.setTimeout(() => cancel.abort(), cancelSourceAtMs);
  const network = memoryNetwork();
  const { sources, destinations } = simulatedPair(1, { stateSize: 64 << 10, clock });
  const before = sources.map((d) => d.digest());
  const vms = new Vms();
  if (destinationStartFails) vms.destination.addHandler({ change: async (running) => { if (running) throw new Error("no host memory"); } });
  const receiving = receive({ devices: destinations, acceptor: network.acceptor, vm: vms.destination, capabilities: { commit: commit.destination }, clock, ...TIMEOUTS });
  const migrating = migrate({
    devices: sources,
    dialer: faultyDialer(network.dialer, faults),
    vm: vms.source,
    switchoverBandwidth: 1e9,
    capabilities: { commit: commit.source },
    clock,
    signal: cancel.signal,
    ...TIMEOUTS,
  });
  const both = Promise.all([migrating, receiving]);
  expect(await clock.run(both)).toBe("settled");
  const [source, destination] = await both;
  if (cancelTimer) clock.clearTimeout(cancelTimer);
  await network.acceptor.close();
  // Nothing left behind on the clock (guarantee 4).
  expect(clock.pendingTimers).toBe(0);
  return { source, destination, sources, destinations, before, vms, clock };
}

type Run = Awaited<ReturnType<typeof run>>;

/** Guarantees 1-3 on one run's outcome. */
function checkGuarantees(r: Run): void {
  expect(r.vms.overlaps).toBe(0);
  const s: MigrationResult = r.source;
  const d: MigrationResult = r.destination;
  if (s.status === "completed" || d.status === "completed") {
    // Never lost: whoever says completed, the destination VM runs and the source's never will.
    expect(d.status).toBe("completed");
    expect(r.vms.destination.running).toBe(true);
    expect(r.vms.source.running).toBe(false);
    expect(["completed", "in-doubt"]).toContain(s.status);
    expect(r.destinations.map((x) => x.digest())).toEqual(r.before);
  } else {
    expect(r.vms.destination.running).toBe(false);
  }
  if (s.status === "failed" || s.status === "cancelled") {
    expect(r.vms.source.running).toBe(true);
    expect(r.sources.map(stateOf)).toEqual(["RUNNING"]);
    expect(r.sources.map((x) => x.digest())).toEqual(r.before);
  }
  if (s.status === "in-doubt") {
    expect(r.vms.source.running).toBe(false);
    expect(r.sources.map(stateOf)).not.toContain("RUNNING");
    expect(r.sources.map((x) => x.digest())).toEqual(r.before);
    expect(s.error).toMatchObject({ code: "ERR_MIGRATION_IN_DOUBT" });
    expect(s.resume).toBeTypeOf("function");
  }
}

describe("the commit protocol", () => {
  it("completes a clean run: the destination starts only after COMMIT, nothing is recovered", async () => {
    const r = await run();
    checkGuarantees(r);
    expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
    expect(r.source.recovered).toBeUndefined();
    expect(r.source.peerReport?.status).toBe("completed");
  });

  it("keeps QEMU's order (start at EOF) when both ends turn it off", async () => {
    const r = await run({ commit: { source: false, destination: false } });
    expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
    checkGuarantees(r);
  });

  it("fails setup when only one end speaks it", async () => {
    const r = await run({ commit: { destination: false } });
    expect(r.source.error).toMatchObject({ code: "ERR_SETUP_MISMATCH" });
    expect(r.source.error?.message).toContain("capability commit: source true, destination false");
    checkGuarantees(r);
  });

  // Each message of the end game lost (the connection stays up and goes quiet) or cut.
  for (const kind of ["blackhole", "cut"] as const) {
    it(`REPORT(loaded) ${kind}: the source never committed, so it resumes; the destination discards`, async () => {
      const r = await run({ faults: { returnPath: { at: "loaded", kind } } });
      checkGuarantees(r);
      expect(r.source.status).toBe("failed");
      expect(r.source.error).toMatchObject({ code: kind === "blackhole" ? "ERR_CHANNEL_STALLED" : "ERR_CHANNEL_FAULT" });
      expect(r.destination.status).toBe("failed");
      expect(r.destination.error).toMatchObject({ code: "ERR_COMMIT_ABORTED" });
    });

    it(`COMMIT ${kind}: the source asks again over a recovery connection, which commits; both complete`, async () => {
      const r = await run({ faults: { commit: kind } });
      checkGuarantees(r);
      expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
      expect(r.source.recovered).toBe(true);
      expect(r.destination.recovered).toBe(true);
    });

    it(`REPORT(completed) and SHUT ${kind}: the source learns "started" over a recovery connection`, async () => {
      const r = await run({ faults: { returnPath: { at: "completed", kind } } });
      checkGuarantees(r);
      expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
      expect(r.source.recovered).toBe(true);
      expect(r.destination.recovered).toBeUndefined();
    });

    it(`SHUT alone ${kind}: REPORT(completed) already said it; completed without recovery`, async () => {
      const r = await run({ faults: { returnPath: { at: "shut", kind } } });
      checkGuarantees(r);
      expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
      expect(r.source.recovered).toBeUndefined();
    });

    it(`COMMIT ${kind} and the destination unreachable: in-doubt; the destination discarded, so resume() is right`, async () => {
      const r = await run({ faults: { commit: kind, refuseRecovery: true } });
      checkGuarantees(r);
      expect(r.source.status).toBe("in-doubt");
      expect(r.destination.status).toBe("failed");
      // Bounded: one stall timeout (or none, for a cut) to notice, then the resolution timeout asking.
      expect(r.source.totalMs).toBeLessThan(TIMEOUTS.stallTimeoutMs + TIMEOUTS.resolutionTimeoutMs + 100);
      expect(r.source.totalMs).toBeGreaterThanOrEqual(TIMEOUTS.resolutionTimeoutMs);
      await r.source.resume!();
      expect(r.vms.source.running).toBe(true);
      expect(r.sources.map(stateOf)).toEqual(["RUNNING"]);
      expect(r.sources.map((x) => x.digest())).toEqual(r.before);
      expect(r.vms.overlaps).toBe(0);
    });

    it(`REPORT(completed) ${kind} and the destination unreachable: in-doubt, while the destination runs`, async () => {
      const r = await run({ faults: { returnPath: { at: "completed", kind }, refuseRecovery: true } });
      checkGuarantees(r);
      expect(r.source.status).toBe("in-doubt");
      expect(r.destination.status).toBe("completed");
    });
  }

  it("a cancel while a committed source asks does not resume it: it ends in doubt at once", async () => {
    // COMMIT lost and the destination unreachable: the source asks from about t=10 s (its stall timeout).
    const r = await run({ faults: { commit: "blackhole", refuseRecovery: true }, cancelSourceAtMs: 15_000 });
    checkGuarantees(r);
    expect(r.source.status).toBe("in-doubt");
    expect(r.source.totalMs).toBeGreaterThanOrEqual(15_000);
    expect(r.source.totalMs).toBeLessThan(15_000 + 1100); // at most one retry pause after the cancel
  });

  it("a destination whose VM fails to start says so after COMMIT; the source resumes", async () => {
    const r = await run({ destinationStartFails: true });
    checkGuarantees(r);
    expect(r.source.status).toBe("failed");
    expect(r.source.error).toMatchObject({ code: "ERR_COMMIT_ABORTED" });
    expect(r.destination.error).toMatchObject({ code: "ERR_COMMIT_ABORTED" });
  });
});

describe("always ends", () => {
  it("a source whose peer accepts and never answers fails within the setup timeout, its devices RUNNING", async () => {
    const clock = new VirtualClock();
    const network = memoryNetwork();
    const { sources } = simulatedPair(1, { stateSize: 64 << 10, clock });
    const accepted = network.acceptor.accept();
    const migrating = migrate({ devices: sources, dialer: network.dialer, setupTimeoutMs: 100, clock });
    expect(await clock.run(migrating)).toBe("settled");
    const r = await migrating;
    expect(clock.now()).toBe(100);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_SETUP_TIMEOUT" });
    expect(r.error?.message).toMatch(/^main: no CONFIG reply from the destination within 100 ms/);
    expect(sources.map(stateOf)).toEqual(["RUNNING"]);
    (await accepted).destroy();
    await network.acceptor.close();
  });

  it("a first connection that says nothing is closed at the setup timeout; the destination waits on for its source", async () => {
    const clock = new VirtualClock();
    const network = memoryNetwork();
    const { destinations } = simulatedPair(1, { stateSize: 64 << 10, clock });
    const receiving = receive({ devices: destinations, acceptor: network.acceptor, setupTimeoutMs: 100, acceptTimeoutMs: 1000, clock });
    const silent = await network.dialer.dial("main");
    let closedAt: number | undefined;
    void silent.read(new Uint8Array(1)).then(
      () => (closedAt = clock.now()),
      () => (closedAt = clock.now()),
    );
    expect(await clock.run(receiving)).toBe("settled");
    const r = await receiving;
    // An idle connection must not become the main channel and block the real source (issue 11).
    expect(closedAt).toBe(100);
    expect(clock.now()).toBe(1000);
    expect(r.error).toMatchObject({ code: "ERR_ACCEPT_TIMEOUT" });
    await network.acceptor.close();
  });

  it("receive waits for a source at most its accept timeout", async () => {
    const clock = new VirtualClock();
    const network = memoryNetwork();
    const { destinations } = simulatedPair(1, { stateSize: 64 << 10, clock });
    const receiving = receive({ devices: destinations, acceptor: network.acceptor, acceptTimeoutMs: 600_000, clock });
    expect(await clock.run(receiving)).toBe("settled");
    const r = await receiving;
    expect(clock.now()).toBe(600_000);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "ERR_ACCEPT_TIMEOUT" });
    await network.acceptor.close();
  });

  it("a destination busy loading for 5 stall timeouts is not a stall: nothing is awaited from it meanwhile", async () => {
    const clock = new VirtualClock();
    const network = memoryNetwork();
    const { sources } = simulatedPair(1, { stateSize: 256 << 10, initialBytes: 64 << 10, clock });
    // A 1 s stall timeout keeps the source's 5 ms pre-copy polls over the wait few.
    const stallTimeoutMs = 1000;
    const { destinations } = simulatedPair(1, { stateSize: 256 << 10, initialBytes: 64 << 10, loadDelayMs: 5 * stallTimeoutMs, clock });
    const capabilities = { switchoverAck: true };
    const receiving = receive({ devices: destinations, acceptor: network.acceptor, capabilities, clock, ...TIMEOUTS, stallTimeoutMs });
    const migrating = migrate({ devices: sources, dialer: network.dialer, capabilities, switchoverBandwidth: 1e9, clock, ...TIMEOUTS, stallTimeoutMs });
    const both = Promise.all([migrating, receiving]);
    expect(await clock.run(both)).toBe("settled");
    const [source, destination] = await both;
    await network.acceptor.close();
    expect([source.status, destination.status]).toEqual(["completed", "completed"]);
    expect(source.totalMs).toBeGreaterThanOrEqual(5 * stallTimeoutMs);
  });

  it("multifd device state that takes 5 stall timeouts to send is not a stall of the silent main channel", async () => {
    const clock = new VirtualClock();
    const stallTimeoutMs = 1000;
    // 1 MiB read at 200 KiB/s in 64 KiB packets: ~5 s of stop-copy data, all of it on the multifd
    // channels (each gets a packet well within the stall timeout), none on the main one meanwhile.
    const { sources, destinations } = simulatedPair(1, { stateSize: 1 << 20, flags: MigrationFlags.STOP_COPY | MigrationFlags.P2P, saveBytesPerSecond: 200 << 10, readChunk: 64 << 10, clock });
    const options = { multifd: { channels: 2, mode: "on" as const }, clock, ...TIMEOUTS, stallTimeoutMs };
    const { source, destination } = await runBoth(sources, destinations, options, options);
    expect([source.status, destination.status], destination.error?.message).toEqual(["completed", "completed"]);
    expect(source.totalMs).toBeGreaterThanOrEqual(4 * stallTimeoutMs);
  });

  it("a main channel that stops taking bytes after SWITCHOVER_START fails within the stall timeout; the source resumes", async () => {
    const clock = new VirtualClock();
    const network = memoryNetwork();
    const { sources, destinations } = simulatedPair(1, { stateSize: 4 << 20, clock });
    const before = sources.map((d) => d.digest());
    const vm = new VmRunState();
    // Nothing after SWITCHOVER_START reaches the destination: the source's 4 MiB of stop-copy data back up.
    // (The destination's own stall timeout is longer, so the source's is the one that fires.)
    const receiving = receive({ devices: destinations, acceptor: network.acceptor, clock, ...TIMEOUTS, stallTimeoutMs: 2 * TIMEOUTS.stallTimeoutMs });
    const dialer: Dialer = {
      async dial(name, signal) {
        const channel = await network.dialer.dial(name, signal);
        const write = channel.write.bind(channel);
        let stalled = false;
        const switchoverStart = [0x08, 0x00, 0x0b, 0x00, 0x00];
        // A write the peer never takes fails only when the channel is destroyed, as a socket's does.
        let reason: Error | undefined;
        const destroy = channel.destroy.bind(channel);
        channel.destroy = (err) => destroy((reason = err));
        const never = (): Promise<void> => channel.closed.then(() => Promise.reject(reason ?? new Error("destroyed")));
        channel.write = (bytes) => {
          if (stalled) return never();
          for (let i = 0; i + 5 <= bytes.length; i++) {
            if (!switchoverStart.every((b, j) => bytes[i + j] === b)) continue;
            stalled = true;
            void write(bytes.subarray(0, i + 5));
            return never();
          }
          return write(bytes);
        };
        return channel;
      },
    };
    const migrating = migrate({ devices: sources, dialer, vm, switchoverBandwidth: 1e9, clock, ...TIMEOUTS });
    const both = Promise.all([migrating, receiving]);
    expect(await clock.run(both)).toBe("settled");
    const [source, destination] = await both;
    await network.acceptor.close();
    expect(source.status).toBe("failed");
    expect(source.error).toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    expect(source.error?.message).toMatch(/^main: no progress for 10000 ms/);
    // The downtime after SWITCHOVER_START is bounded by the stall timeout.
    expect(source.totalMs).toBeLessThan(TIMEOUTS.stallTimeoutMs + 100);
    expect(vm.running).toBe(true);
    expect(sources.map(stateOf)).toEqual(["RUNNING"]);
    expect(sources.map((d) => d.digest())).toEqual(before);
    expect(destination.status).toBe("failed");
  });
});
