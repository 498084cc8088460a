// The integrity checks a multifd packet can carry (our CHECKSUM extension), negotiated at setup:
// which algorithms exist, their trailers, and the one function that computes a trailer's value.
// The WASM side (assembly/checksum.ts) frames and verifies with the same numbering.
import { crc32c } from "./crc32c.js";
import { WireEncodeError } from "./errors.js";
import { xxh3 } from "./xxh3.js";

/**
 * `none`; `crc32c` (Castagnoli, the standard one: be32 trailer); `xxh3` (XXH3-64 with seed 0,
 * designed for SIMD speed: be64 trailer).
 */
export type ChecksumAlgorithm = "none" | "crc32c" | "xxh3";

/** How options spell the algorithm: a name, or `true` for CRC32C and `false` for none (the first spelling). */
export type ChecksumOption = ChecksumAlgorithm | boolean;

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ["none", "crc32c", "xxh3"];

/** The largest trailer any algorithm adds after a payload: what buffers sized before setup allow for. */
export const MAX_CHECKSUM_BYTES = 8;

const TRAILER_BYTES: Record<ChecksumAlgorithm, number> = { none: 0, crc32c: 4, xxh3: 8 };

/** The algorithm an option names; throws ERR_WIRE_ENCODE for anything else. */
export function checksumAlgorithm(option: ChecksumOption | undefined): ChecksumAlgorithm {
  if (option === undefined || option === false) return "none";
  if (option === true) return "crc32c";
  if (!CHECKSUM_ALGORITHMS.includes(option)) {
    throw new WireEncodeError("ERR_WIRE_ENCODE", `checksum '${String(option)}' is not one of ${CHECKSUM_ALGORITHMS.join(", ")}`);
  }
  return option;
}

/** Bytes of the algorithm's trailer after each payload. */
export function checksumTrailerBytes(algorithm: ChecksumAlgorithm): number {
  return TRAILER_BYTES[algorithm];
}

/** The number assembly/checksum.ts uses for the algorithm. */
export function checksumCode(algorithm: ChecksumAlgorithm): number {
  return CHECKSUM_ALGORITHMS.indexOf(algorithm);
}

/** The trailer value of `bytes` (a BigInt for every algorithm: XXH3's is 64 bits; 0n for none). `init()` must have resolved. */
export function checksumOf(algorithm: ChecksumAlgorithm, bytes: Uint8Array): bigint {
  if (algorithm === "crc32c") return BigInt(crc32c(bytes));
  if (algorithm === "xxh3") return xxh3(bytes);
  return 0n;
}

/** Writes the algorithm's big-endian trailer for `bytes` at `offset` of `target`; returns the offset after it. */
export function writeChecksumTrailer(algorithm: ChecksumAlgorithm, bytes: Uint8Array, target: Uint8Array, offset: number): number {
  const length = TRAILER_BYTES[algorithm];
  const view = new DataView(target.buffer, target.byteOffset + offset, length);
  if (algorithm === "crc32c") view.setUint32(0, crc32c(bytes));
  else if (algorithm === "xxh3") view.setBigUint64(0, xxh3(bytes));
  return offset + length;
}
