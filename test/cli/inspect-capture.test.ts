import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

// A capture of a real migration must read back with inspect: the channels carry a random migration
// uuid, which a tool without one to compare must accept.
describe("inspect reads what simulate --capture wrote", () => {
  const dir = mkdtempSync(join(tmpdir(), "vfio-capture-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists every device's packets and sections", async () => {
    const sim = await runCli(["simulate", "--devices", "2", "--state-size", "3MiB", "--initial-size", "64KiB", "--switchover-bandwidth", "1GB",
      "--channels", "2", "--checksum", "crc32c", "--capture", dir, "--json"]);
    expect(sim.code).toBe(0);
    expect(JSON.parse(sim.stdout).status).toBe("completed");
    const outFiles = readdirSync(dir).filter((f) => f.endsWith(".out.bin")).sort();
    expect(outFiles).toEqual(["main.out.bin", "multifd-0.out.bin", "multifd-1.out.bin"]);

    const main = await runCli(["inspect", join(dir, "main.out.bin"), "--json"]);
    expect(main.code).toBe(0);
    const records = JSON.parse(main.stdout).records as { type: string; idstr?: string; command?: string }[];
    expect(records.filter((r) => r.type === "start").map((r) => r.idstr)).toEqual(["0000:00:04.0/vfio", "0000:00:05.0/vfio"]);
    expect(records.some((r) => r.command === "SWITCHOVER_START")).toBe(true);
    expect(records.slice(-2).map((r) => r.command ?? r.type)).toEqual(["eof", "COMMIT"]);

    // With a checksum negotiated every unit of the main channel carries a check, and inspect verifies them.
    const bytes = readFileSync(join(dir, "main.out.bin"));
    const lastData = bytes.length - 40;
    bytes[lastData] ^= 0x01;
    writeFileSync(join(dir, "main.flipped.bin"), bytes);
    const flipped = await runCli(["inspect", join(dir, "main.flipped.bin"), "--json"]);
    expect(flipped.code).toBe(1);
    expect(JSON.parse(flipped.stdout).error.code).toBe("ERR_WIRE_CHECKSUM_MISMATCH");

    const packets: { idstr: string; idx: number; config: boolean; length: number }[] = [];
    for (const [channelId, file] of ["multifd-0.out.bin", "multifd-1.out.bin"].entries()) {
      const run = await runCli(["inspect", join(dir, file), "--json"]);
      expect(run.code).toBe(0);
      const parsed = JSON.parse(run.stdout);
      expect([parsed.kind, parsed.channelId]).toEqual(["multifd", channelId]);
      packets.push(...parsed.packets);
    }
    for (const name of ["0000:00:04.0/vfio", "0000:00:05.0/vfio"]) {
      const own = packets.filter((p) => p.idstr === name).sort((a, b) => a.idx - b.idx);
      expect(own.map((p) => p.idx)).toEqual(own.map((_, i) => i));
      expect(own.at(-1)?.config).toBe(true);
      // The stop-copy rest of a 3 MiB state (64 KiB of it went in pre-copy on the main channel).
      expect(own.filter((p) => !p.config).reduce((n, p) => n + p.length, 0)).toBeGreaterThan(2.9 * 2 ** 20);
    }
  });
});
