// SIGINT (Ctrl-C) and SIGTERM (what service managers and `kill` send) take the same cancel path; only
// the exit status differs: 130 for Ctrl-C, 1 for a migration ended by SIGTERM.
import { describe, expect, it } from "vitest";
import { parse } from "../../src/cli/command.js";
import { buildDevices } from "../../src/cli/devices.js";
import { DEVICE_OPTIONS } from "../../src/cli/options.js";
import { init } from "../../src/codec/index.js";
import { runCli } from "./run-cli.js";

await init();

/** Runs the CLI, calling `onStderr` with everything it printed there so far. */
function start(args: string[], onStderr: (text: string, kill: (signal: NodeJS.Signals) => void) => void) {
  return runCli(args, { onStderr: (text, child) => onStderr(text, (signal) => child.kill(signal)) });
}

describe("signals during send", () => {
  // The signal follows the first pre-copy status line, so the cancel lands mid-transfer however slowly
  // the machine starts processes or channel threads (a fixed --cancel-after could fire before the
  // source connected, and the receiver then rightly waits for a source).
  it.each([
    ["SIGINT", 130, "one device", [], []],
    ["SIGTERM", 1, "one device", [], []],
    ["SIGTERM", 1, "2 devices on 2 channel threads", ["--devices", "2"], ["--channels", "2"]],
  ] as const)("%s: cancels, prints its result, exits %i, and its devices are RUNNING with their state (%s)", async (signal, exitCode, _label, devices, channels) => {
    const deviceArgs = ["--state-size", "32MiB", "--initial-size", "32MiB", ...devices];
    let resolveAddress!: (a: string) => void;
    const address = new Promise<string>((r) => (resolveAddress = r));
    const receiving = runCli(["receive", "--listen", "127.0.0.1:0", ...deviceArgs, ...channels, "--json"], {
      onStderr: (text) => {
        const m = /listening on (\S+)/.exec(text);
        if (m) resolveAddress(m[1]);
      },
    });
    let signalled = false;
    const send = await start(["send", "--connect", await address, ...deviceArgs, "--bandwidth", "8MiB", ...channels, ...(channels.length ? ["--channel-threads", "on"] : []), "--json"], (text, kill) => {
      // The first status line of pre-copy: the migration is under way.
      if (!signalled && /vfio-migration: active/.test(text)) {
        signalled = true;
        kill(signal);
      }
    });
    const receive = await receiving;
    expect(send.signal).toBeNull();
    expect(send.code).toBe(exitCode);
    expect(send.stdout.trimEnd().split("\n")).toHaveLength(1);
    const source = JSON.parse(send.stdout);
    expect(source.status).toBe("cancelled");
    expect(source.error.code).toBe("ERR_MIGRATION_CANCELLED");
    expect(source.devices.map((d: { finalState: string }) => d.finalState)).toEqual(source.devices.map(() => "RUNNING"));
    const initial = buildDevices(parse(deviceArgs, DEVICE_OPTIONS)).map((d) => d.digest!());
    expect(source.devices.map((d: { sourceDigest: string }) => d.sourceDigest)).toEqual(initial);
    expect(JSON.parse(receive.stdout).status).toBe("failed");
  });
});

describe("SIGTERM", () => {
  it("receive: cancels while waiting for a source, prints its result and exits", async () => {
    const receive = await start(["receive", "--listen", "127.0.0.1:0", "--json"], (text, kill) => {
      if (/listening on/.test(text)) kill("SIGTERM");
    });
    expect(receive.signal).toBeNull();
    expect(receive.code).toBe(1);
    const result = JSON.parse(receive.stdout);
    expect(result.status).toBe("cancelled");
    expect(result.error.code).toBe("ERR_MIGRATION_CANCELLED");
  });
});
