// What every command shares: --help, help, --version, one usage exit status, --json's single object,
// paths and ranges checked before anything starts.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { flagsOption } from "../../src/cli/options.js";
import { summary } from "../../src/cli/report.js";
import { cli } from "./in-process.js";

const COMMANDS = ["inspect", "fsm", "simulate", "send", "receive", "plan"];

/** stdout holds exactly one JSON object (and a newline). */
function onlyJson(stdout: string): { error?: { code: string; message: string }; status?: string } {
  expect(stdout.endsWith("\n")).toBe(true);
  expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  return JSON.parse(stdout);
}

describe("help, --help and --version", () => {
  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8"));
    expect(await cli("--version")).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("help and --help list every command, with the exit statuses", async () => {
    for (const run of [await cli("help"), await cli("--help")]) {
      expect(run.code).toBe(0);
      for (const name of COMMANDS) expect(run.stdout).toContain(`  ${name} `);
      expect(run.stdout).toContain("130 interrupted");
    }
  });

  for (const name of COMMANDS) {
    it(`${name} --help and help ${name} print its usage and exit 0`, async () => {
      const direct = await cli(name, "--help");
      expect(direct.code).toBe(0);
      expect(direct.stdout).toMatch(new RegExp(`^usage: vfio-migration ${name} `));
      expect(await cli("help", name)).toEqual(direct);
    });
  }
});

describe("usage errors exit 2 on every command", () => {
  const cases: [string, string[]][] = [
    ["no command", []],
    ["an unknown command", ["migrate"]],
    ["help on an unknown command", ["help", "migrate"]],
    ["inspect without a file", ["inspect"]],
    ["fsm without --to", ["fsm", "--from", "RUNNING"]],
    ["fsm with an unknown state", ["fsm", "--from", "RUNNIN", "--to", "STOP"]],
    ["simulate with an unknown option", ["simulate", "--bogus"]],
    ["send without --connect", ["send"]],
    ["receive without --listen", ["receive"]],
    ["plan without --link-bandwidth", ["plan"]],
    ["inspect with two modes", ["inspect", "file.bin", "--state", "--desc"]],
  ];
  for (const [what, argv] of cases) {
    it(`${what}: 2, and with --json exactly one JSON error object`, async () => {
      const plain = await cli(...argv);
      expect(plain.code).toBe(2);
      expect(plain.stdout).toBe(plain.stdout.startsWith("usage") ? plain.stdout : "");
      const json = await cli(...argv, "--json");
      expect(json.code).toBe(2);
      expect(onlyJson(json.stdout).error?.code).toMatch(/^ERR_/);
    });
  }
});

describe("with --json, stdout is one JSON object whatever fails", () => {
  it("receive on a port in use", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const run = await cli("receive", "--listen", `127.0.0.1:${port}`, "--json");
      expect(run.code).toBe(1);
      const { error } = onlyJson(run.stdout);
      expect(error?.code).toMatch(/^ERR_/);
      expect(error?.message).toContain("EADDRINUSE");
    } finally {
      server.close();
    }
  });
});

describe("paths are checked before a migration starts", () => {
  const dir = mkdtempSync(join(tmpdir(), "vfio-migration-paths-"));
  const file = join(dir, "a-file");
  writeFileSync(file, "");
  const cases: [string, string[], RegExp][] = [
    ["--capture under /proc", ["--capture", "/proc/nope"], /--capture: cannot create the directory '\/proc\/nope'/],
    ["--capture naming a file", ["--capture", file], /--capture: '.*a-file' exists and is not a directory/],
    ["--report in a missing directory", ["--report", "/nonexistent/r.html"], /--report: the directory '\/nonexistent' does not exist/],
    ["--report naming a directory", ["--report", dir], /--report: '.*' is a directory/],
  ];
  for (const [what, argv, message] of cases) {
    it(`${what}: exit 2 at once, the code printed once`, async () => {
      const plain = await cli("simulate", "--state-size", "1MiB", ...argv);
      expect(plain.code).toBe(2);
      expect(plain.stderr).toMatch(message);
      expect(plain.stderr.match(/ERR_CLI_USAGE/g)).toHaveLength(1);
      const json = await cli("send", "--connect", "127.0.0.1:9", ...argv, "--json");
      expect(json.code).toBe(2);
      expect(onlyJson(json.stdout).error?.message).toMatch(message);
    });
  }
});

describe("ranges", () => {
  const cases: [string[], RegExp][] = [
    [["--load-delay", "99999999999"], /--load-delay: '99999999999' is not a number of milliseconds in 0\.\.2147483647/],
    [["--cancel-after", "99999999999"], /--cancel-after: .* in 0\.\.2147483647/],
    [["--downtime-limit", "2000001"], /--downtime-limit: .* in 0\.\.2000000/],
    [["--state-size", "0"], /--state-size: 0 bytes is outside 16 B\.\.2 GiB/],
    [["--state-size", "15"], /--state-size: 15 bytes is outside 16 B/],
    [["--mtty", "--state-size", "1MiB"], /--mtty: .* takes no --state-size/],
    [["--mtty", "--flags", "STOP_COPY", "--p2p-writes"], /--mtty: .* takes no --flags, --p2p-writes/],
    [["--flags", "P2P,PRE_COPY"], /--flags: .* lack STOP_COPY/],
    [["--timeout", "soon"], /--timeout: 'soon' is not a number of milliseconds/],
  ];
  for (const [argv, message] of cases) {
    it(`refuses ${argv.join(" ")}`, async () => {
      const run = await cli("simulate", ...argv, "--json");
      expect(run.code).toBe(2);
      expect(onlyJson(run.stdout).error).toEqual({ code: "ERR_CLI_USAGE", message: expect.stringMatching(message) });
    });
  }

  it("one --flags parser: separators and case as the fsm command takes them, STOP_COPY mandatory everywhere", async () => {
    expect(flagsOption("stop_copy p2p|PRE_COPY")).toBe(7);
    expect(flagsOption("STOP_COPY,,PRE_COPY")).toBe(5);
    const fsm = await cli("fsm", "--flags", "P2P", "--from", "RUNNING", "--to", "STOP", "--json");
    expect(fsm.code).toBe(2);
    expect(onlyJson(fsm.stdout).error?.message).toMatch(/--flags: .* lack STOP_COPY/);
  });
});

describe("simulate", () => {
  it("--timeout ends a migration that cannot converge with a clear 'did not converge'", async () => {
    // 8 MiB dirtied at 64 MiB/s over a 4 MiB/s link never fits a 1 ms downtime limit.
    const run = await cli("simulate", "--state-size", "8MiB", "--dirty-rate", "64MiB", "--bandwidth", "4MiB", "--downtime-limit", "1", "--timeout", "400", "--json");
    expect(run.code).toBe(1);
    const result = onlyJson(run.stdout) as { status: string; error: { code: string; message: string }; devices: { finalState: string }[] };
    expect(result.status).toBe("failed");
    expect(result.error.code).toBe("ERR_SIMULATE_TIMEOUT");
    expect(result.error.message).toMatch(/^main: did not converge within 400 ms \(pre-copy iteration \d+: /);
    expect(result.devices[0].finalState).toBe("RUNNING");
  });

  it("sums 64 channels' bytes in the summary instead of listing each", () => {
    const multifd = Array.from({ length: 64 }, (_, i) => (i < 37 ? 1 << 20 : 0));
    const text = summary({ status: "completed", error: null, setupMs: 1, totalMs: 2, downtimeMs: 1, bytes: { main: 100, multifd }, devices: [], trace: [] });
    expect(text).toContain("bytes: main 100 B, multifd 37 MiB over 64 channels (27 idle)");
    expect(text).not.toContain("+ 0 B");
  });
});
