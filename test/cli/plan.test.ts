// `vfio-migration plan`, in process: options, sweeps, the JSON shape, the table and the report.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "../../src/cli/commands/plan.js";
import { sweepValues } from "../../src/cli/sweep-values.js";

async function plan(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await run(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

const DEVICE = ["--devices", "4", "--state-size", "2MiB", "--initial-size", "1MiB", "--save-speed", "250MB", "--load-speed", "250MB", "--link-bandwidth", "2GB", "--downtime-limit", "5000"];

describe("plan", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints one JSON object: rows named by option, and the best row", async () => {
    const { code, stdout } = await plan([...DEVICE, "--channels", "0,2", "--multifd", "on,off", "--json"]);
    expect(code).toBe(0);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    const out = JSON.parse(stdout) as { rows: Record<string, unknown>[]; best: Record<string, unknown> };
    expect(out.rows.map((r) => [r.channels, r.multifd])).toEqual([[0, "on"], [0, "off"], [2, "on"], [2, "off"]]);
    for (const key of ["channels", "multifd", "switchoverAck", "downtimeLimit", "downtimeMs", "totalMs", "bytes", "iterations", "converged"]) {
      expect(Object.keys(out.rows[1])).toContain(key);
    }
    expect(out.best).toEqual(out.rows[2]);
    const second = await plan([...DEVICE, "--channels", "0,2", "--multifd", "on,off", "--json"]);
    expect(second.stdout).toBe(stdout);
  });

  it("prints a table with the swept settings and names the best for the objective", async () => {
    const { code, stdout } = await plan([...DEVICE, "--channels", "2", "--switchover-ack", "on,off", "--objective", "total"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^plan: 4 devices x 2 MiB/);
    expect(stdout).toMatch(/^switchover-ack\s+downtime\s+total\s+bytes\s+iterations\s+result$/m);
    expect(stdout).toMatch(/^best for total: switchover-ack (on|off) \(downtime .+, total .+\)$/m);
  });

  it("writes the report: both charts and every row", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "plan-")), "plan.html");
    const { code } = await plan([...DEVICE, "--downtime-limit", "100..200/100", "--multifd", "on,off", "--report", file]);
    expect(code).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html).toContain("Predicted downtime");
    expect(html).toContain("Predicted total time");
    expect(html.match(/<tr>/g)).toHaveLength(1 + 4);
    expect(html).toContain(">multifd on<");
  });

  it("refuses bad options before planning, with one JSON error object", async () => {
    const cases: [string[], RegExp][] = [
      [["--state-size", "1MiB"], /--link-bandwidth is required/],
      [[...DEVICE, "--objective", "fast"], /--objective: expected downtime or total/],
      [[...DEVICE, "--channels", "4..2/1"], /runs backwards/],
      [[...DEVICE, "--report", "/nonexistent/dir/r.html"], /--report: cannot write/],
      [[...DEVICE, "--multifd", "on..off/1"], /takes a list of values, not a range/],
    ];
    for (const [argv, message] of cases) {
      const { code, stdout } = await plan([...argv, "--json"]);
      expect(code).toBe(2);
      const out = JSON.parse(stdout) as { error: { code: string; message: string } };
      expect(out.error.code).toBe("ERR_CLI_USAGE");
      expect(out.error.message).toMatch(message);
    }
  });

  it("exits 1 when no configuration converges", async () => {
    const { code, stdout } = await plan(["--state-size", "4MiB", "--dirty-rate", "400MB", "--link-bandwidth", "20MB", "--downtime-limit", "5", "--bandwidth", "0", "--horizon", "2"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/did not converge within 2 s/);
    expect(stdout).toMatch(/best for downtime: none of the configurations converged/);
  });
});

describe("sweep values", () => {
  const int = (v: string): number => Number(v);
  it("reads lists, ranges with steps, and both", () => {
    expect(sweepValues("0,2,4", "x", int)).toEqual([0, 2, 4]);
    expect(sweepValues("100..1000/300", "x", int, (n) => n, (n) => n)).toEqual([100, 400, 700, 1000]);
    expect(sweepValues("0, 0.1..0.3/0.1", "x", int, (n) => n, (n) => n)).toEqual([0, 0.1, 0.2, 0.3]);
  });
  it("bounds how many values one option expands to", () => {
    expect(() => sweepValues("0..5000/1", "x", int, (n) => n, (n) => n)).toThrow(/more than 1000 values/);
    expect(() => sweepValues("1,,2", "x", int)).toThrow(/empty value/);
    expect(() => sweepValues("1..2/0", "x", int, (n) => n, (n) => n)).toThrow(/step .* must be positive/);
  });
});
