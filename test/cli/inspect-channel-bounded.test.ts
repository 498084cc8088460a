// inspect streams return paths and multifd channels too: 300,000 return-path messages are listed in
// full by a process whose heap is capped far below what holding the listing would take; bad bytes
// after good records close the document with the error.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CLI } from "./run-cli.js";

const run = promisify(execFile);
const HEAP_MB = 16;

describe("inspect on a long channel", () => {
  const dir = mkdtempSync(join(tmpdir(), "vfio-inspect-channel-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`lists 300,000 return-path messages with a ${HEAP_MB} MB heap, as one complete JSON document`, async () => {
    const pong = Buffer.from("0002000400000007", "hex");
    const file = join(dir, "pongs.bin");
    writeFileSync(file, Buffer.concat(Array.from({ length: 300_000 }, () => pong)));
    const { stdout } = await run(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, "inspect", file, "--json"], { maxBuffer: 64 << 20 });
    const want = `{"kind":"return-path","messages":[${Array(300_000).fill('{"type":"pong","value":7}').join(",")}]}\n`;
    expect(stdout === want).toBe(true);
  });

  it("closes a multifd channel's document with the error when a bad packet follows good ones", async () => {
    const packet = Buffer.alloc(1344);
    packet.writeUInt32BE(0x11223344, 0);
    packet.writeUInt32BE(1, 4);
    packet.writeUInt32BE(1, 8);
    packet.writeUInt32BE(128, 12);
    const bad = Buffer.from(packet);
    bad.writeUInt32BE(100, 12);
    const hello = Buffer.alloc(64);
    hello.writeUInt32BE(0x11223344, 0);
    hello.writeUInt32BE(1, 4);
    const file = join(dir, "bad-multifd.bin");
    writeFileSync(file, Buffer.concat([hello, packet, packet, bad]));
    const failed = await run(process.execPath, [CLI, "inspect", file, "--json"]).catch((e: { code: number; stdout: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    const doc = JSON.parse((failed as { stdout: string }).stdout);
    expect([doc.kind, doc.packets.length, doc.error.code, doc.error.offset]).toEqual(["multifd", 2, "ERR_MULTIFD_RAM_PACKET", 64 + 2 * 1344 + 12]);
  });

  it("closes a return path's document with the error when bad bytes follow messages already written", async () => {
    const file = join(dir, "bad.bin");
    writeFileSync(file, Buffer.from("0002000400000001".repeat(3) + "0009000000", "hex"));
    const failed = await run(process.execPath, [CLI, "inspect", file, "--json"]).catch((e: { code: number; stdout: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    const doc = JSON.parse((failed as { stdout: string }).stdout);
    expect(doc.messages).toHaveLength(3);
    expect(doc.error).toMatchObject({ code: "ERR_RP_UNKNOWN_TYPE", offset: 24 });
  });
});
