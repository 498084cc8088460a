import { describe, expect, it } from "vitest";
import { BufferPool } from "../../src/transport/buffer-pool.js";
import { tcpConnect, tcpListen, type SocketAcceptor } from "../../src/transport/tcp.js";
import { MiB, acceptorTarget, channelCompliance } from "./compliance.js";

channelCompliance(
  "tcp",
  acceptorTarget(
    () => tcpListen({ port: 0 }),
    (listener) => tcpConnect({ host: "127.0.0.1", port: (listener as SocketAcceptor).address.port }),
    // Loopback socket buffers (~8 MiB measured here with nobody reading) plus our 512 KiB receive pool.
    { maxAhead: 24 * MiB, peerMaySeeDestroyAsEnd: true, resourceTypes: ["TCPSocketWrap", "TCPServerWrap"] },
  ),
);

describe("tcp dialing and listening", () => {
  it("binds port 0 to a free port and reports it", async () => {
    const acceptor = await tcpListen({ port: 0 });
    expect(acceptor.address.host).toBe("127.0.0.1");
    expect(acceptor.address.port).toBeGreaterThan(0);
    await acceptor.close();
    await expect(acceptor.accept()).rejects.toMatchObject({ code: "ERR_ACCEPTOR_CLOSED" });
  });

  it("reports a refused connection, typed and named", async () => {
    const acceptor = await tcpListen({ port: 0 });
    const { port } = acceptor.address;
    await acceptor.close();
    const err = await tcpConnect({ host: "127.0.0.1", port }).dial("main").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_CHANNEL_REFUSED" });
    expect((err as Error).message).toMatch(/^main: connection refused/);
  });

  it("reports a peer's reset as ERR_CHANNEL_RESET, named, on a pending read", async () => {
    const acceptor = await tcpListen({ port: 0 });
    const [a, b] = await Promise.all([tcpConnect({ host: "127.0.0.1", port: acceptor.address.port }).dial("main"), acceptor.accept()]);
    b.name = "destination/main";
    const pending = b.read(new Uint8Array(16));
    a.destroy();
    const err = await pending.then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_CHANNEL_RESET" });
    expect((err as Error).message).toBe("destination/main: connection reset by peer");
    await Promise.all([a.closed, b.closed]);
    await acceptor.close();
  });

  it("aborts a dial and an accept through their signals", async () => {
    const acceptor = await tcpListen({ port: 0 });
    await expect(tcpConnect({ host: "127.0.0.1", port: acceptor.address.port }).dial("main", AbortSignal.abort())).rejects.toMatchObject({
      code: "ERR_CHANNEL_ABORTED",
    });
    const controller = new AbortController();
    const accepting = acceptor.accept(controller.signal);
    controller.abort();
    await expect(accepting).rejects.toMatchObject({ code: "ERR_CHANNEL_ABORTED" });
    await acceptor.close();
  });
});

describe("tcp receive buffers", () => {
  it("receives into the caller's region when one is given (e.g. WASM memory)", async () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const region = new Uint8Array(memory.buffer, 65536, 4 * 16384);
    const acceptor = await tcpListen({ port: 0, receiveRegion: region, receiveSlotSize: 16384, receiveSlots: 4 });
    const [a, b] = await Promise.all([tcpConnect({ host: "127.0.0.1", port: acceptor.address.port }).dial("main"), acceptor.accept()]);
    const marker = new TextEncoder().encode("bytes that land in wasm memory");
    await a.write(marker);
    const got = new Uint8Array(64);
    const n = await b.read(got);
    expect(new TextDecoder().decode(got.subarray(0, n))).toBe("bytes that land in wasm memory");
    expect(Buffer.from(region).indexOf(Buffer.from(marker))).toBeGreaterThanOrEqual(0);
    expect(Buffer.from(new Uint8Array(memory.buffer, 0, 65536)).indexOf(Buffer.from(marker))).toBe(-1);
    a.destroy();
    b.destroy();
    await acceptor.close();
  });
});

describe("BufferPool", () => {
  it("carves 64-byte aligned, disjoint slots from a page-aligned memory", () => {
    const pool = new BufferPool({ slotSize: 1000, slots: 4 });
    expect(pool.slotSize).toBe(1024);
    const slots = [pool.take()!, pool.take()!, pool.take()!, pool.take()!];
    expect(pool.take()).toBeUndefined();
    for (const [i, s] of slots.entries()) {
      expect(s.bytes.byteOffset % 64).toBe(0);
      expect(s.bytes.length).toBe(1024);
      for (const other of slots.slice(i + 1)) {
        expect(s.bytes.byteOffset + s.bytes.length <= other.bytes.byteOffset || other.bytes.byteOffset + other.bytes.length <= s.bytes.byteOffset).toBe(true);
      }
    }
    pool.give(slots[0]);
    expect(pool.available).toBe(1);
  });

  it("aligns slots inside a caller's region that starts off a 64-byte boundary", () => {
    const region = new Uint8Array(new ArrayBuffer(4096), 10, 4000);
    const pool = new BufferPool({ slotSize: 1024, slots: 8, region });
    expect(pool.slotCount).toBe(3);
    expect(pool.take()!.bytes.byteOffset % 64).toBe(0);
  });
});
