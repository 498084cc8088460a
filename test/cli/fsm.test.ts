import { describe, expect, it } from "vitest";
import { cli as run } from "./in-process.js";

async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await run("fsm", ...args);
  return { status: code, stdout, stderr };
}

describe("vfio-migration fsm", () => {
  it("prints the kernel's path", async () => {
    const out = await cli("--flags", "STOP_COPY,P2P,PRE_COPY", "--from", "RUNNING", "--to", "STOP_COPY");
    expect(out).toEqual({ status: 0, stdout: "RUNNING > RUNNING_P2P > STOP > STOP_COPY\n", stderr: "" });
  });

  it("prints a JSON array with --json", async () => {
    const out = await cli("--flags", "STOP_COPY,P2P,PRE_COPY", "--from", "RUNNING", "--to", "STOP_COPY", "--json");
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(["RUNNING", "RUNNING_P2P", "STOP", "STOP_COPY"]);
  });

  it("uses the flags given", async () => {
    const out = await cli("--flags", "STOP_COPY", "--from", "running", "--to", "stop_copy", "--json");
    expect(JSON.parse(out.stdout)).toEqual(["RUNNING", "STOP", "STOP_COPY"]);
    const longest = await cli("--from", "RESUMING", "--to", "PRE_COPY");
    expect(longest.stdout).toBe("RESUMING > STOP > RUNNING_P2P > RUNNING > PRE_COPY\n");
  });

  it("exits 1 with a clear message on a blocked arc", async () => {
    const out = await cli("--from", "STOP_COPY", "--to", "PRE_COPY");
    expect(out.status).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain("invalid transition STOP_COPY -> PRE_COPY");
  });

  it("exits 1 with a JSON error object under --json", async () => {
    const blocked = await cli("--from", "STOP_COPY", "--to", "PRE_COPY_P2P", "--json");
    expect(blocked.status).toBe(1);
    expect(JSON.parse(blocked.stdout)).toEqual({ error: { code: "ERR_FSM_BLOCKED_ARC", message: expect.stringContaining("STOP_COPY -> PRE_COPY_P2P") } });
    const unsupported = await cli("--flags", "STOP_COPY", "--from", "RUNNING", "--to", "RUNNING_P2P", "--json");
    expect(JSON.parse(unsupported.stdout).error.code).toBe("ERR_FSM_UNSUPPORTED_STATE");
  });

  it("rejects unknown names and missing or unknown options as usage errors (exit 2)", async () => {
    const badState = await cli("--from", "RUNNIN", "--to", "STOP", "--json");
    expect(badState.status).toBe(2);
    expect(JSON.parse(badState.stdout).error).toEqual({ code: "ERR_FSM_UNKNOWN_NAME", message: expect.stringContaining("'RUNNIN'") });
    const badFlag = await cli("--flags", "STOP_COPY,DIRTY", "--from", "RUNNING", "--to", "STOP");
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toContain("unknown migration flag 'DIRTY'");
    const missing = await cli("--from", "RUNNING", "--json");
    expect(JSON.parse(missing.stdout).error.code).toBe("ERR_CLI_USAGE");
    const unknown = await cli("--from", "RUNNING", "--to", "STOP", "--bogus");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("--bogus");
  });
});
