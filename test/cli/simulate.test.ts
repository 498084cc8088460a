import { describe, expect, it } from "vitest";
import type { CliReport } from "../../src/report/result.js";
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

  for (const transport of ["memory", "tcp"]) {
    it(`completes 2 mtty devices (60 bytes each) over ${transport}`, async () => {
      const { code, report } = await simulate(["--mtty", "--devices", "2", "--transport", transport]);
      expect(code).toBe(0);
      expect(report.devices.every((d) => d.sourceDigest !== null && d.sourceDigest === d.destinationDigest)).toBe(true);
    });
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
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "ERR_CLI_USAGE", message: "--state-size: 'lots' is not a size (e.g. 60, 300MB, 100MiB, 2GiB, 1TiB)" } });
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

  it("never says \"digests equal\" for a failed run: the destination's devices never had the state", async () => {
    const r = await runCli(["simulate", "--devices", "2", "--flags", "STOP_COPY,PRE_COPY", "--state-size", "1MiB"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^migration failed in /m);
    expect(r.stdout).not.toContain("digests equal");
    expect(r.stdout.match(/digests not compared/g)).toHaveLength(2);
  });
});

describe("vfio-migration simulate --capture", () => {
  it("writes every channel's bytes; the main stream reads back with inspect", async () => {
    const { mkdtempSync, readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "vfio-capture-"));
    const r = await runCli(["simulate", "--devices", "2", "--state-size", "2MiB", "--switchover-bandwidth", "1GB", "--channels", "2", "--capture", dir, "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CliReport;
    expect(readdirSync(dir).sort()).toEqual(["main.in.bin", "main.out.bin", "multifd-0.in.bin", "multifd-0.out.bin", "multifd-1.in.bin", "multifd-1.out.bin"]);
    expect(readFileSync(join(dir, "main.out.bin")).length).toBe(report.bytes.main);
    expect(report.bytes.multifd).toEqual([0, 1].map((i) => readFileSync(join(dir, `multifd-${i}.out.bin`)).length - 64));
    const inspected = await runCli(["inspect", join(dir, "main.out.bin"), "--json"]);
    expect(inspected.code).toBe(0);
    // The stream ends with EOF and then the source's COMMIT (the commit protocol, docs/wire-format.md 5.5).
    expect(JSON.parse(inspected.stdout).records.slice(-2)).toEqual([{ type: "eof" }, { type: "command", command: "COMMIT" }]);
    // Each multifd capture starts with its hello: magic 0x11223344, version 1, then our uuid and the channel id.
    for (const i of [0, 1]) {
      const bytes = readFileSync(join(dir, `multifd-${i}.out.bin`));
      expect([bytes.readUInt32BE(0), bytes.readUInt32BE(4), bytes[24]]).toEqual([0x11223344, 1, i]);
    }
  });
});
