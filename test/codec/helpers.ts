// Small helpers for the codec tests.
import { expect } from "vitest";

/** Bytes from a hex string with optional spaces: "08 00 0b". */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs `fn` and returns the error it throws, failing the test if it does not throw. */
export function caught(fn: () => unknown): Error & { code?: string; offset?: number } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string; offset?: number };
  }
  expect.unreachable("expected an error");
  throw new Error("unreachable");
}

/** Byte equality for large arrays (deep `toEqual` on MiBs is slow); on mismatch names the first differing byte. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  let firstDiff = -1;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n && firstDiff < 0; i++) if (actual[i] !== expected[i]) firstDiff = i;
  expect({ length: actual.length, firstDiff }).toEqual({ length: expected.length, firstDiff: -1 });
}
