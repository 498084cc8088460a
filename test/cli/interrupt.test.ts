// Ctrl-C (SIGINT) as a real process gets it: the command cancels, prints its one JSON result, exits 130.
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("SIGINT", () => {
  it("receive waiting for a source: cancelled, one JSON object, exit 130", async () => {
    let sent = false;
    const run = await runCli(["receive", "--listen", "127.0.0.1:0", "--json"], {
      onStderr: (text, child) => {
        if (!sent && /listening on/.test(text)) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(run.code).toBe(130);
    expect(run.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "cancelled", error: { code: "ERR_MIGRATION_CANCELLED" } });
  });

  it("simulate in pre-copy: cancelled, the source running again, exit 130", async () => {
    let sent = false;
    const run = await runCli(["simulate", "--state-size", "32MiB", "--initial-size", "32MiB", "--bandwidth", "8MiB", "--json"], {
      onStderr: (text, child) => {
        if (!sent && /vfio-migration: active/.test(text)) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(run.code).toBe(130);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ status: "cancelled", error: { code: "ERR_MIGRATION_CANCELLED" } });
    expect(result.devices[0].finalState).toBe("RUNNING");
  });
});
