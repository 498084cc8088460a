import { describe, expect, it } from "vitest";
import type { CliReport } from "../../src/cli/report.js";
import { runCli } from "./run-cli.js";

type Report = CliReport;

async function simulate(args: string[]): Promise<{ code: number | null; report: Report }> {
  const r = await runCli(["simulate", ...args, "--json"]);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

describe("vfio-migration simulate --json", () => {
  it("prints issue 4's shape, exactly those keys", async () => {
    const { code, report } = await simulate(["--devices", "2", "--state-size", "2MiB", "--switchover-bandwidth", "1GB"]);
    expect(code).toBe(0);
    expect(Object.keys(report)).toEqual(["status", "error", "setupMs", "totalMs", "downtimeMs", "bytes", "devices", "trace"]);
    expect(report.status).toBe("completed");
    expect(report.error).toBeNull();
    expect(report.downtimeMs).toBeGreaterThan(0);
    expect(report.totalMs).toBeGreaterThanOrEqual(report.downtimeMs!);
    expect(Object.keys(report.devices[0])).toEqual(["name", "flags", "sourceDigest", "destinationDigest", "finalState"]);
    expect(report.devices.map((d) => d.name)).toEqual(["0000:00:04.0/vfio", "0000:00:05.0/vfio"]);
    for (const d of report.devices) {
      expect(d.flags).toBe("STOP_COPY|P2P|PRE_COPY");
      expect(d.sourceDigest).toMatch(/\S/);
      expect(d.destinationDigest).toBe(d.sourceDigest);
      expect(d.finalState).toBe("RUNNING");
    }
    expect(Object.keys(report.trace[0])).toEqual(["seq", "side", "device", "state"]);
    expect(report.trace.map((e) => e.seq)).toEqual(report.trace.map((_, i) => i + 1));
  });

  for (const transport of ["memory", "tcp"]) {
    for (const [devices, size] of [["1", "60"], ["4", "8MiB"], ["8", "1MiB"]]) {
      it(`completes ${devices} device(s) of ${size} over ${transport} with equal digests`, async () => {
        const { code, report } = await simulate(["--transport", transport, "--devices", devices, "--state-size", size, "--switchover-bandwidth", "1GB"]);
        expect(report.error).toBeNull();
        expect(code).toBe(0);
        expect(report.devices).toHaveLength(Number(devices));
        expect(report.devices.every((d) => d.sourceDigest === d.destinationDigest && d.sourceDigest !== null)).toBe(true);
      });
    }
  }

  it("shows the two-pass P2P order of 3 devices in the trace, on both sides", async () => {
    const { report } = await simulate(["--devices", "3", "--state-size", "1MiB", "--switchover-bandwidth", "1GB", "--p2p-writes"]);
    expect(report.status).toBe("completed");
    const t = report.trace;
    const src = t.filter((e) => e.side === "source");
    const lastP2p = src.findLastIndex((e) => e.state === "PRE_COPY_P2P");
    expect(src.filter((e) => e.state === "PRE_COPY_P2P")).toHaveLength(3);
    expect(lastP2p).toBeLessThan(src.findIndex((e) => e.state === "STOP" || e.state === "STOP_COPY"));
    const dst = t.filter((e) => e.side === "destination");
    const start = dst.findLastIndex((e) => e.state === "RESUMING");
    const vmStart = dst.slice(start + 1);
    expect(vmStart.filter((e) => e.state === "RUNNING_P2P")).toHaveLength(3);
    expect(vmStart.findLastIndex((e) => e.state === "RUNNING_P2P")).toBeLessThan(vmStart.findIndex((e) => e.state === "RUNNING"));
  });

  it("reports a refused multi-device migration (no P2P) as failed, naming the devices", async () => {
    const { code, report } = await simulate(["--devices", "2", "--flags", "STOP_COPY,PRE_COPY", "--state-size", "1MiB"]);
    expect(code).toBe(1);
    expect(report.status).toBe("failed");
    expect(report.error!.code).toBe("ERR_P2P_REQUIRED");
    expect(report.error!.message).toContain("0000:00:04.0/vfio, 0000:00:05.0/vfio");
    expect(report.downtimeMs).toBeNull();
    expect(report.devices.every((d) => d.finalState === "RUNNING")).toBe(true);
  });

  it("cancels with --cancel-after and leaves the source running with the same digest", async () => {
    const { code, report } = await simulate(["--state-size", "32MiB", "--initial-size", "32MiB", "--bandwidth", "16MiB", "--cancel-after", "300"]);
    expect(code).toBe(1);
    expect(report.status).toBe("cancelled");
    expect(report.error!.code).toBe("ERR_MIGRATION_CANCELLED");
    expect(report.devices[0].finalState).toBe("RUNNING");
    expect(report.trace.filter((e) => e.side === "source").at(-1)!.state).toBe("RUNNING");
  });

  it("exits 2 with a JSON error for bad options", async () => {
    const r = await runCli(["simulate", "--state-size", "lots", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "ERR_CLI_USAGE", message: "--state-size: 'lots' is not a size (e.g. 60, 300MB, 100MiB, 2GiB)" } });
    const plain = await runCli(["simulate", "--frobnicate"]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("--frobnicate");
  });

  it("prints a readable summary without --json", async () => {
    const r = await runCli(["simulate", "--state-size", "1MiB", "--switchover-bandwidth", "1GB"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^migration completed in [\d.]+ ms \(setup [\d.]+ ms, downtime [\d.]+ ms\)$/m);
    expect(r.stdout).toContain("0000:00:04.0/vfio [STOP_COPY|P2P|PRE_COPY] RUNNING digest");
    expect(r.stdout).toContain("digests equal");
  });
});
