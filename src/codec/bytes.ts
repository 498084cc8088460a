// Big-endian field access and UTF-8 for the TypeScript encoders and decoders.
import { WireEncodeError } from "./errors.js";

export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

let cachedBuffer: ArrayBufferLike | undefined;
let cachedView: DataView | undefined;

/**
 * A DataView over the whole buffer of `bytes` (index it at `bytes.byteOffset + offset`), kept while
 * the buffer stays the same: header writers run many times over one target, and a new DataView per
 * field cost more than the writes.
 */
export function bufferView(bytes: Uint8Array): DataView {
  if (bytes.buffer !== cachedBuffer || !cachedView) {
    cachedBuffer = bytes.buffer;
    cachedView = new DataView(bytes.buffer);
  }
  return cachedView;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 decode: undefined for malformed bytes (the caller raises its own typed error). */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Strict JSON of strict UTF-8: `{ ok: false }` for malformed input. */
export function parseJsonBytes(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  const text = fromUtf8(bytes);
  if (text === undefined) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** UTF-8 JSON of `value`, refused over `max` bytes (what the peer would refuse anyway). */
export function jsonBytes(value: unknown, max: number, what: string): Uint8Array {
  const text = JSON.stringify(value);
  if (text === undefined) throw new WireEncodeError("ERR_WIRE_ENCODE", `${what}: value is not JSON-serializable`);
  const bytes = utf8(text);
  if (bytes.length > max) throw new WireEncodeError("ERR_WIRE_ENCODE", `${what}: ${bytes.length} bytes of JSON, over the bound of ${max}`);
  return bytes;
}

/** Checks that a number is an integer in [0, max] before it is written to a field of the wire. */
export function checkField(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireEncodeError("ERR_WIRE_ENCODE", `${what} ${value} does not fit (0..${max})`);
  }
  return value;
}

export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;

/** Allocates exactly `size` bytes and runs an in-place writer over them. */
export function encodeWith(size: number, write: (target: Uint8Array, offset: number) => number): Uint8Array {
  const out = new Uint8Array(size);
  write(out, 0);
  return out;
}
