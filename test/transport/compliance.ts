// The channel compliance suite, written once and run against every transport (libp2p's
// interface-compliance-tests pattern): ordering under random segmentation, a large transfer,
// backpressure, orderly end, destroy from either side, and nothing left open.
import { createHash } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Acceptor, Channel, Dialer } from "../../src/transport/types.js";
import { isVfioMigrationError } from "../../src/errors.js";

export interface ComplianceTarget {
  /** Opens a connected pair: `a` dialed, `b` accepted. */
  open(): Promise<{ a: Channel; b: Channel }>;
  /** Called after every test (close listeners, terminate workers). */
  cleanup?(): Promise<void>;
  /** Upper bound on bytes a writer gets ahead of a peer that does not read. */
  maxAhead: number;
  /** Bytes of the large transfer. Default 64 MiB. */
  largeBytes?: number;
  /** getActiveResourcesInfo() types this transport holds (e.g. TCPSocketWrap); they must return to their count. */
  resourceTypes?: string[];
  /**
   * The peer may see our destroy as an end of stream on its read side (TCP: libuv takes the RST's
   * POLLHUP after a short read for EOF); its writes must still fail typed.
   */
  peerMaySeeDestroyAsEnd?: boolean;
  /** Whether `err` is the library's typed error; default `isVfioMigrationError` (the built package has its own). */
  isLibraryError?: (err: unknown) => boolean;
}

export const MiB = 1 << 20;

/** xorshift32: deterministic segment sizes and data per seed. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

export function randomBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (next() * 256) | 0;
  return out;
}

/** Writes `data` in random slices of 1..maxSlice bytes, awaiting each, then ends. */
export async function writeSegmented(channel: Channel, data: Uint8Array, seed: number, maxSlice: number): Promise<void> {
  const next = prng(seed);
  for (let offset = 0; offset < data.length; ) {
    const n = Math.min(data.length - offset, 1 + Math.floor(next() * maxSlice));
    await channel.write(data.subarray(offset, offset + n));
    offset += n;
  }
  await channel.end();
}

/** Reads until the peer's end into targets of random size 1..maxTarget. */
export async function readToEnd(channel: Channel, seed: number, maxTarget: number): Promise<Uint8Array> {
  const next = prng(seed);
  const parts: Uint8Array[] = [];
  for (;;) {
    const target = new Uint8Array(1 + Math.floor(next() * maxTarget));
    const n = await channel.read(target);
    if (n === 0) break;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(target.length);
    parts.push(target.subarray(0, n));
  }
  return Buffer.concat(parts);
}

function resourceCount(types: string[]): number {
  return process.getActiveResourcesInfo().filter((t) => types.includes(t)).length;
}

async function settleHandles(types: string[], baseline: number): Promise<number> {
  for (let i = 0; i < 50 && resourceCount(types) > baseline; i++) await new Promise((r) => setTimeout(r, 10));
  return resourceCount(types);
}

/** Resolves `true` if `promise` settles within `ms`, `false` if it is still pending. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const settled = promise.then(() => true, () => true);
  const result = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return result;
}

function expectTyped(err: unknown, codes: string[], isLibraryError: (err: unknown) => boolean = isVfioMigrationError): void {
  expect(isLibraryError(err), `expected a VfioMigrationError, got ${String(err)}`).toBe(true);
  expect(codes).toContain((err as { code: string }).code);
}

export function channelCompliance(label: string, target: ComplianceTarget): void {
  describe(`${label}: channel compliance`, () => {
    const open: Channel[] = [];
    const types = target.resourceTypes ?? [];
    let baseline = 0;

    beforeAll(() => {
      baseline = resourceCount(types);
    });

    async function pair(): Promise<{ a: Channel; b: Channel }> {
      const p = await target.open();
      open.push(p.a, p.b);
      return p;
    }

    afterEach(async () => {
      for (const c of open.splice(0)) c.destroy();
      await target.cleanup?.();
    });

    it("delivers bytes in order across random segmentations, both directions at once", async () => {
      for (const seed of [1, 2, 3]) {
        const { a, b } = await pair();
        const ab = randomBytes(300_000 + seed * 1000, seed);
        const ba = randomBytes(200_000, seed + 100);
        const [, , gotAb, gotBa] = await Promise.all([
          writeSegmented(a, ab, seed, 20_000),
          writeSegmented(b, ba, seed + 7, 5_000),
          readToEnd(b, seed + 11, 70_000),
          readToEnd(a, seed + 13, 3_000),
        ]);
        expect(Buffer.compare(Buffer.from(gotAb), Buffer.from(ab))).toBe(0);
        expect(Buffer.compare(Buffer.from(gotBa), Buffer.from(ba))).toBe(0);
        await Promise.all([a.closed, b.closed]);
      }
    });

    it("carries a large transfer intact while the writer reuses its buffer", async () => {
      const { a, b } = await pair();
      const total = target.largeBytes ?? 64 * MiB;
      const chunk = new Uint8Array(MiB);
      const sent = createHash("sha256");
      const writer = (async () => {
        const pattern = randomBytes(MiB + 256, 42);
        for (let i = 0; i * MiB < total; i++) {
          // The same buffer each time, changed right after write() resolves.
          chunk.set(pattern.subarray(i % 256, (i % 256) + MiB));
          sent.update(chunk);
          await a.write(chunk);
        }
        await a.end();
      })();
      const received = createHash("sha256");
      const target1 = new Uint8Array(MiB);
      let bytes = 0;
      for (;;) {
        const n = await b.read(target1);
        if (n === 0) break;
        received.update(target1.subarray(0, n));
        bytes += n;
      }
      await writer;
      expect(bytes).toBe(total);
      expect(received.digest("hex")).toBe(sent.digest("hex"));
    });

    it("bounds how far a writer gets ahead of a reader that does not read", async () => {
      const { a, b } = await pair();
      const slice = new Uint8Array(64 * 1024).fill(7);
      const total = target.maxAhead + 4 * MiB;
      let written = 0;
      const writer = (async () => {
        while (written < total) {
          await a.write(slice);
          written += slice.length;
        }
        await a.end();
      })();
      // Let the writer run until it stalls.
      let last = -1;
      while (written !== last) {
        last = written;
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(written).toBeLessThan(total);
      expect(written).toBeLessThanOrEqual(target.maxAhead);
      const drained = await readToEnd(b, 5, 256 * 1024);
      await writer;
      expect(drained.length).toBe(Math.ceil(total / slice.length) * slice.length);
      expect(drained.every((x) => x === 7)).toBe(true);
    });

    it("ends in order: the peer reads 0 (again and again), the other direction stays open", async () => {
      const { a, b } = await pair();
      await a.write(new Uint8Array([1, 2, 3]));
      await a.end();
      await expect(a.write(new Uint8Array([4]))).rejects.toMatchObject({ code: "ERR_CHANNEL_USAGE" });
      const buf = new Uint8Array(8);
      expect(await b.read(buf)).toBe(3);
      expect([...buf.subarray(0, 3)]).toEqual([1, 2, 3]);
      expect(await b.read(buf)).toBe(0);
      expect(await b.read(buf)).toBe(0);
      await b.write(new Uint8Array([9, 8]));
      await b.end();
      expect(await a.read(buf)).toBe(2);
      expect(await a.read(buf)).toBe(0);
      await Promise.all([a.closed, b.closed]);
    });

    it("rejects a second concurrent read as a usage error", async () => {
      const { a } = await pair();
      const first = a.read(new Uint8Array(4));
      await expect(a.read(new Uint8Array(4))).rejects.toMatchObject({ code: "ERR_CHANNEL_USAGE" });
      a.destroy();
      await expect(first).rejects.toMatchObject({ code: "ERR_CHANNEL_DESTROYED" });
    });

    for (const side of ["dialing", "accepting"] as const) {
      it(`destroy on the ${side} side rejects pending reads and writes on both sides, typed`, async () => {
        const p = await pair();
        const [local, remote] = side === "dialing" ? [p.a, p.b] : [p.b, p.a];
        const localRead = local.read(new Uint8Array(16));
        // Fill the local side until a write is stuck behind backpressure.
        const big = new Uint8Array(MiB);
        const writes: Promise<void>[] = [];
        for (let i = 0; i * MiB <= target.maxAhead + MiB; i++) writes.push(local.write(big));
        const reason = new Error("test teardown");
        local.destroy(reason);
        await expect(localRead).rejects.toBe(reason);
        const stuck = await Promise.allSettled(writes);
        expect(stuck.some((r) => r.status === "rejected")).toBe(true);
        for (const r of stuck) if (r.status === "rejected") expect(r.reason).toBe(reason);
        await expect(local.write(new Uint8Array(1))).rejects.toBe(reason);
        await expect(local.read(new Uint8Array(1))).rejects.toBe(reason);
        // The peer may read what got through first, then learns of it as a typed failure.
        const remoteErr = await (async () => {
          const buf = new Uint8Array(MiB);
          while ((await remote.read(buf)) > 0);
        })().then(() => undefined, (e: unknown) => e);
        if (remoteErr !== undefined || !target.peerMaySeeDestroyAsEnd) {
          expectTyped(remoteErr, ["ERR_CHANNEL_RESET", "ERR_CHANNEL_PEER_CLOSED"], target.isLibraryError);
        }
        const laterWrite = await (async () => {
          for (let i = 0; i < 64; i++) await remote.write(new Uint8Array(64 * 1024));
        })().then(() => new Error("writes kept succeeding"), (e: unknown) => e);
        expectTyped(laterWrite, ["ERR_CHANNEL_RESET", "ERR_CHANNEL_PEER_CLOSED"], target.isLibraryError);
        expect(await settlesWithin(Promise.all([local.closed, remote.closed]), 5000)).toBe(true);
      });
    }

    it("leaves no handle open once both ends are closed", async () => {
      const { a, b } = await pair();
      await Promise.all([a.end(), b.end()]);
      expect(await a.read(new Uint8Array(1))).toBe(0);
      expect(await b.read(new Uint8Array(1))).toBe(0);
      await Promise.all([a.closed, b.closed]);
      open.length = 0;
      await target.cleanup?.();
      expect(await settleHandles(types, baseline)).toBe(baseline);
    });
  });
}

/** A target over a listening acceptor made on first use and closed after each test (TCP, TLS). */
export function acceptorTarget(
  listen: () => Promise<Acceptor>,
  dialer: (acceptor: Acceptor) => Dialer,
  rest: Omit<ComplianceTarget, "open" | "cleanup">,
): ComplianceTarget {
  let listener: Acceptor | undefined;
  return {
    ...rest,
    open: async () => {
      listener ??= await listen();
      const [a, b] = await Promise.all([dialer(listener).dial("main"), listener.accept()]);
      return { a, b };
    },
    cleanup: async () => {
      await listener?.close();
      listener = undefined;
    },
  };
}
