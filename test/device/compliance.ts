// The device compliance suite: one set of cases, run against every MigratableDevice in the tree
// with several option sets (libp2p's interface-compliance-tests pattern).
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import {
  DeviceState as S,
  isStateSupported,
  nextState,
  setDeviceState,
  stateName,
  type MigratableDevice,
} from "../../src/index.js";

export interface ComplianceTarget {
  label: string;
  /** A fresh device; `role` lets a factory give source and destination different content. */
  make(role: "source" | "destination"): MigratableDevice;
  /** Changes the source's state so a copy is observable (optional). */
  mutate?(device: MigratableDevice): void | Promise<void>;
  /** Content does not change by itself, so two reads of the stream are byte-identical. */
  deterministic: boolean;
}

const ALL_STATES = [S.STOP, S.RUNNING, S.STOP_COPY, S.RESUMING, S.RUNNING_P2P, S.PRE_COPY, S.PRE_COPY_P2P];

/**
 * Reads until a 0-byte read, with buffers of `chunk` bytes. In pre-copy a dirtying device may never
 * reach the temporary end, so reading also stops after `limit` bytes.
 */
export async function drain(device: MigratableDevice, chunk = 1 << 20, limit = Infinity): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(chunk);
  for (let total = 0; total < limit; total += parts[parts.length - 1].length) {
    const n = await device.read(buf);
    if (n === 0) break;
    parts.push(buf.slice(0, n));
  }
  return concat(parts);
}

/** Byte equality (vitest's deep equality walks typed arrays element by element: far too slow for MiBs). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Writes `bytes` cut at pseudo-random points (any segmentation must be accepted). */
export async function writeSplit(device: MigratableDevice, bytes: Uint8Array, seed: number): Promise<void> {
  let x = seed || 1;
  for (let at = 0; at < bytes.length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = Math.min(bytes.length - at, 1 + (x % 9000));
    await device.write(bytes.subarray(at, at + n));
    at += n;
  }
}

/** A whole save of `source`: pre-copy (when supported) then stop-copy, as the engine does. */
export async function saveAll(source: MigratableDevice, chunk?: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  if (isStateSupported(source.flags, S.PRE_COPY)) {
    await setDeviceState(source, S.PRE_COPY);
    parts.push(await drain(source, chunk, 2 * (source.stopCopySize() ?? 1 << 20)));
  }
  await setDeviceState(source, S.STOP_COPY);
  parts.push(await drain(source, chunk));
  return concat(parts);
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string, name?: string): Promise<void> {
  let error: unknown;
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (err) {
    error = err;
  }
  expect(error, `expected ${code}`).toMatchObject({ code });
  if (name) expect((error as Error).message.startsWith(`${name}: `), (error as Error).message).toBe(true);
}

async function streamsOpen(device: MigratableDevice): Promise<{ read: boolean; write: boolean; precopy: boolean }> {
  const ok = async (fn: () => unknown) => {
    try {
      await fn();
      return true;
    } catch (err) {
      expect(err).toMatchObject({ code: "ERR_DEVICE_WRONG_STATE" });
      return false;
    }
  };
  return {
    read: await ok(() => device.read(new Uint8Array(0))),
    write: await ok(() => device.write(new Uint8Array(0))),
    precopy: await ok(() => device.precopyInfo()),
  };
}

export function deviceCompliance(target: ComplianceTarget): void {
  describe(`device compliance: ${target.label}`, () => {
    beforeAll(async () => {
      await init();
    });

    it("starts RUNNING with STOP_COPY among its flags and a name", () => {
      const device = target.make("source");
      expect(device.state).toBe(S.RUNNING);
      expect(device.flags & 1).toBe(1);
      expect(device.name.length).toBeGreaterThan(0);
      expect(Number.isInteger(device.instanceId)).toBe(true);
    });

    it("takes every single arc of the spec its flags allow, with the spec's streams open after it", async () => {
      const flags = target.make("source").flags;
      let arcs = 0;
      for (const from of ALL_STATES.filter((s) => isStateSupported(flags, s))) {
        for (const to of ALL_STATES.filter((s) => s !== from && isStateSupported(flags, s))) {
          let hop: S;
          try {
            hop = nextState(flags, from, to);
          } catch {
            continue;
          }
          if (hop !== to) continue;
          const device = target.make("source");
          if (from === S.RESUMING) {
            // Leaving RESUMING needs a whole state written; a source provides one.
            const source = target.make("source");
            await setDeviceState(device, S.RESUMING);
            await device.write(await saveAll(source));
          } else {
            await setDeviceState(device, from);
          }
          expect(device.state).toBe(from);
          await device.setState(to);
          expect(device.state, `${stateName(from)} -> ${stateName(to)}`).toBe(to);
          const open = await streamsOpen(device);
          expect(open, `${stateName(from)} -> ${stateName(to)}`).toEqual({
            read: to === S.PRE_COPY || to === S.PRE_COPY_P2P || to === S.STOP_COPY,
            write: to === S.RESUMING,
            precopy: to === S.PRE_COPY || to === S.PRE_COPY_P2P,
          });
          arcs++;
        }
      }
      // STOP_COPY alone has 6 arcs; each of P2P and PRE_COPY adds more.
      expect(arcs).toBeGreaterThanOrEqual(6);
    });

    it("refuses a state that is not one arc away, and stays where it was", async () => {
      const device = target.make("source");
      const far = isStateSupported(device.flags, S.RUNNING_P2P) ? S.STOP_COPY : S.RESUMING;
      await expectCode(device.setState(far), "ERR_DEVICE_NOT_AN_ARC", device.name);
      await expectCode(device.setState(S.ERROR), "ERR_DEVICE_NOT_AN_ARC", device.name);
      expect(device.state).toBe(S.RUNNING);
    });

    it("resets to RUNNING from every state, ERROR included, closing the streams", async () => {
      const states = ALL_STATES.filter((s) => isStateSupported(target.make("source").flags, s));
      for (const state of [...states, S.ERROR]) {
        const device = target.make("source");
        if (state === S.ERROR) {
          await setDeviceState(device, S.RESUMING);
          await device.setState(S.STOP).catch(() => undefined);
          if (device.state !== S.ERROR) continue; // this device stays RESUMING on a failed load
        } else {
          await setDeviceState(device, state);
        }
        await device.reset();
        expect(device.state, `reset from ${stateName(state)}`).toBe(S.RUNNING);
        expect(await streamsOpen(device)).toEqual({ read: false, write: false, precopy: false });
      }
    });

    it("reports a stop-copy size in every state", async () => {
      for (const state of ALL_STATES.filter((s) => isStateSupported(target.make("source").flags, s))) {
        const device = target.make("source");
        await setDeviceState(device, state);
        const size = device.stopCopySize();
        expect(size === undefined || (Number.isSafeInteger(size) && size >= 0)).toBe(true);
      }
    });

    it("gives pre-copy info only in PRE_COPY*: initial bytes fall by what is read, dirty starts at 0", async () => {
      const device = target.make("source");
      if (!isStateSupported(device.flags, S.PRE_COPY)) {
        await expectCode(() => device.precopyInfo(), "ERR_DEVICE_WRONG_STATE", device.name);
        return;
      }
      await expectCode(() => device.precopyInfo(), "ERR_DEVICE_WRONG_STATE", device.name);
      await setDeviceState(device, S.PRE_COPY);
      const first = device.precopyInfo();
      expect(first.initialBytes).toBeGreaterThan(0);
      expect(first.dirtyBytes).toBe(0);
      const buf = new Uint8Array(Math.max(1, Math.floor(first.initialBytes / 3)));
      const n = await device.read(buf);
      expect(n).toBeGreaterThan(0);
      const after = device.precopyInfo();
      if (target.deterministic) expect(after.initialBytes).toBe(first.initialBytes - n);
      else expect(after.initialBytes).toBeLessThanOrEqual(first.initialBytes - Math.min(n, first.initialBytes));
      if (isStateSupported(device.flags, S.PRE_COPY_P2P)) {
        await device.setState(S.PRE_COPY_P2P);
        expect(device.precopyInfo().initialBytes).toBe(after.initialBytes);
      }
      await setDeviceState(device, S.STOP_COPY);
      await expectCode(() => device.precopyInfo(), "ERR_DEVICE_WRONG_STATE", device.name);
    });

    it("ends pre-copy reads temporarily and stop-copy reads for good", async () => {
      const device = target.make("source");
      if (isStateSupported(device.flags, S.PRE_COPY)) {
        await setDeviceState(device, S.PRE_COPY);
        await drain(device, 1 << 20, 2 * (device.stopCopySize() ?? 1 << 20));
        if (target.deterministic) {
          expect(device.precopyInfo()).toEqual({ initialBytes: 0, dirtyBytes: 0 });
          expect(await device.read(new Uint8Array(64))).toBe(0);
        }
      }
      await setDeviceState(device, S.STOP_COPY);
      const rest = await drain(device);
      expect(rest.length).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) expect(await device.read(new Uint8Array(4096))).toBe(0);
    });

    it("opens a new saving stream on each opening arc and continues it through PRE_COPY_P2P -> STOP_COPY", async () => {
      const device = target.make("source");
      await setDeviceState(device, S.STOP_COPY);
      const direct = await drain(device);
      await setDeviceState(device, S.STOP);
      await setDeviceState(device, S.STOP_COPY);
      const again = await drain(device);
      expect(again.length).toBe(direct.length);
      if (target.deterministic) expect(sameBytes(again, direct)).toBe(true);
      if (isStateSupported(device.flags, S.PRE_COPY)) {
        await setDeviceState(device, S.RUNNING);
        await setDeviceState(device, S.PRE_COPY);
        const head = await drain(device, 7, direct.length);
        await setDeviceState(device, S.STOP_COPY);
        const tail = await drain(device, 7);
        if (target.deterministic) expect(sameBytes(concat([head, tail]), direct)).toBe(true);
        else expect(head.length + tail.length).toBeGreaterThanOrEqual(direct.length);
      }
    });

    it("reads the same stream whatever the buffer size, and never more than the buffer", async () => {
      if (!target.deterministic) return;
      const streams: Uint8Array[] = [];
      const size = target.make("source").stopCopySize() ?? 1 << 20;
      const smallest = size < 10_000 ? 1 : size < 200_000 ? 13 : 977;
      for (const chunk of [smallest, 4096, 1 << 20]) {
        const device = target.make("source");
        await setDeviceState(device, S.STOP_COPY);
        const parts: Uint8Array[] = [];
        const buf = new Uint8Array(chunk);
        for (let n; (n = await device.read(buf)) > 0; ) {
          expect(n).toBeLessThanOrEqual(chunk);
          parts.push(buf.slice(0, n));
        }
        streams.push(concat(parts));
      }
      for (const stream of streams.slice(1)) expect(sameBytes(stream, streams[0])).toBe(true);
    });

    it("copies the whole state from a source to a destination with equal digests, any write segmentation", async () => {
      for (const seed of [1, 2]) {
        const source = target.make("source");
        const destination = target.make("destination");
        await target.mutate?.(source);
        if (target.mutate) expect(destination.digest!()).not.toBe(source.digest!());
        const bytes = await saveAll(source, seed === 1 ? 1 << 20 : 999);
        await setDeviceState(destination, S.RESUMING);
        await writeSplit(destination, bytes, seed);
        await destination.loadConfig(source.saveConfig());
        await setDeviceState(destination, S.STOP);
        await setDeviceState(source, S.STOP);
        expect(destination.digest!()).toBe(source.digest!());
        await setDeviceState(destination, S.RUNNING);
        expect(destination.state).toBe(S.RUNNING);
      }
    });

    it("fails RESUMING -> STOP on short data with ERR_DEVICE_DATA_SHORT, device name first", async () => {
      const source = target.make("source");
      const bytes = await saveAll(source);
      const destination = target.make("destination");
      await setDeviceState(destination, S.RESUMING);
      await destination.write(bytes.subarray(0, bytes.length - 1));
      await expectCode(destination.setState(S.STOP), "ERR_DEVICE_DATA_SHORT", destination.name);
      expect([S.RESUMING, S.ERROR]).toContain(destination.state);
    });

    it("refuses a corrupted header with ERR_DEVICE_DATA_CORRUPT, on write or at RESUMING -> STOP", async () => {
      const source = target.make("source");
      const bytes = await saveAll(source);
      bytes[3] ^= 0x40;
      const destination = target.make("destination");
      await setDeviceState(destination, S.RESUMING);
      const write = destination.write(bytes).then(
        () => destination.setState(S.STOP),
        (err: unknown) => Promise.reject(err),
      );
      await expectCode(write, "ERR_DEVICE_DATA_CORRUPT", destination.name);
    });

    it("refuses bytes past the end of the state with ERR_DEVICE_DATA_OVERFLOW", async () => {
      const source = target.make("source");
      const bytes = await saveAll(source);
      const destination = target.make("destination");
      await setDeviceState(destination, S.RESUMING);
      await destination.write(bytes);
      await expectCode(destination.write(new Uint8Array(1)), "ERR_DEVICE_DATA_OVERFLOW", destination.name);
    });

    it("refuses reads, writes and config loads outside their states", async () => {
      const device = target.make("source");
      await expectCode(device.read(new Uint8Array(8)), "ERR_DEVICE_WRONG_STATE", device.name);
      await expectCode(device.write(new Uint8Array(8)), "ERR_DEVICE_WRONG_STATE", device.name);
      await expectCode(device.loadConfig(device.saveConfig()), "ERR_DEVICE_WRONG_STATE", device.name);
      await setDeviceState(device, S.RESUMING);
      await expectCode(device.read(new Uint8Array(8)), "ERR_DEVICE_WRONG_STATE", device.name);
      await setDeviceState(device, S.RUNNING, { recover: S.ERROR }).catch(() => undefined);
      await setDeviceState(device, S.STOP_COPY);
      await expectCode(device.write(new Uint8Array(8)), "ERR_DEVICE_WRONG_STATE", device.name);
    });
  });
}
