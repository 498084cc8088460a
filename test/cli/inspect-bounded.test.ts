// inspect streams: a main stream of 300,000 commands is listed in full by a process whose heap is
// capped far below what holding its records (or its JSON) would take (issue 12: 12 million
// OPEN_RETURN_PATH commands made `inspect --json` use 1.45 GB and die).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CLI } from "./run-cli.js";

const run = promisify(execFile);
const COMMANDS = 300_000;
/** Far below what the records and their JSON take: the reader before streaming ran out of heap here. */
const HEAP_MB = 16;

describe("inspect on a large stream", () => {
  const dir = mkdtempSync(join(tmpdir(), "vfio-inspect-bounded-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`lists ${COMMANDS} commands with a ${HEAP_MB} MB heap, as one complete JSON document`, async () => {
    const open = Buffer.from("0800010000", "hex");
    const bytes = Buffer.alloc(8 + COMMANDS * open.length + 1);
    Buffer.from("5145564d00000003", "hex").copy(bytes, 0);
    for (let at = 8; at < bytes.length - 1; at += open.length) open.copy(bytes, at);
    const file = join(dir, "commands.bin");
    writeFileSync(file, bytes);

    const { stdout } = await run(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, "inspect", file, "--json"], { maxBuffer: 256 << 20 });
    const record = '{"type":"command","command":"OPEN_RETURN_PATH"}';
    const want = `{"kind":"main","records":[${`${record},`.repeat(COMMANDS)}{"type":"eof"}]}\n`;
    expect(stdout.length).toBe(want.length);
    expect(stdout === want).toBe(true);
  });

  it("closes the document with the error when bad bytes follow records already written", async () => {
    const file = join(dir, "bad.bin");
    writeFileSync(file, Buffer.from("5145564d00000003" + "0800010000".repeat(3) + "0800ff0000", "hex"));
    const failed = await run(process.execPath, [CLI, "inspect", file, "--json"]).catch((e: { code: number; stdout: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    const doc = JSON.parse((failed as { stdout: string }).stdout);
    expect(doc.records).toHaveLength(3);
    expect(doc.error).toMatchObject({ code: "ERR_WIRE_UNKNOWN_COMMAND", offset: 24 });
  });
});
