import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

describe("npm run demo", () => {
  it("migrates between two processes and proves the states equal", { timeout: 60_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["scripts/demo.mjs"]);
    expect(stdout).toMatch(/^source: completed, total [\d.]+ ms, setup [\d.]+ ms, downtime [\d.]+ ms/m);
    expect(stdout.match(/ equal  \(now RUNNING on the destination\)/g)).toHaveLength(3);
    expect(stdout).toContain("proof: every device's state on the destination equals the source's.");
  });
});
