import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { captureChannel } from "../../src/transport/capture.js";
import { memoryPair } from "../../src/transport/memory.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import type { Channel } from "../../src/transport/types.js";
import { randomBytes, readToEnd, writeSegmented } from "./compliance.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function exchange(local: Channel, remote: Channel, dir: string): Promise<{ sent: Uint8Array; received: Uint8Array }> {
  const captured = captureChannel(local, { dir, name: "main" });
  const sent = randomBytes(3_000_000, 21);
  const received = randomBytes(1_000_000, 22);
  const [, , atRemote, atLocal] = await Promise.all([
    writeSegmented(captured, sent, 1, 100_000),
    writeSegmented(remote, received, 2, 50_000),
    readToEnd(remote, 3, 80_000),
    readToEnd(captured, 4, 30_000),
  ]);
  // Capturing changes nothing in what flows.
  expect(Buffer.compare(atRemote, sent)).toBe(0);
  expect(Buffer.compare(atLocal, received)).toBe(0);
  await captured.closed;
  return { sent, received };
}

describe("captureChannel", () => {
  it("records exactly what a memory channel wrote and read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-"));
    dirs.push(dir);
    const [a, b] = memoryPair();
    const { sent, received } = await exchange(a, b, join(dir, "nested"));
    expect(Buffer.compare(readFileSync(join(dir, "nested", "main.out.bin")), sent)).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, "nested", "main.in.bin")), received)).toBe(0);
  });

  it("records a TCP channel with a tiny disk buffer, and flushes on destroy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capture-"));
    dirs.push(dir);
    const acceptor = await tcpListen({ port: 0 });
    const [a, b] = await Promise.all([tcpConnect({ host: "127.0.0.1", port: acceptor.address.port }).dial("main"), acceptor.accept()]);
    const captured = captureChannel(a, { dir, name: "tcp", maxBuffered: 1024 });
    const data = randomBytes(500_000, 7);
    await captured.write(data);
    const got = new Uint8Array(data.length);
    for (let filled = 0; filled < data.length; ) filled += await b.read(got.subarray(filled));
    await b.write(data.subarray(0, 1000));
    const buf = new Uint8Array(1000);
    for (let filled = 0; filled < 1000; ) filled += await captured.read(buf.subarray(filled));
    captured.destroy();
    b.destroy();
    await captured.closed;
    await acceptor.close();
    expect(Buffer.compare(readFileSync(join(dir, "tcp.out.bin")), data)).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, "tcp.in.bin")), data.subarray(0, 1000))).toBe(0);
  });
});
