// Pure-TypeScript trailers of the CHECKSUM extension's algorithms, for the frame and scan references.
import { checksumAlgorithm, checksumTrailerBytes, type ChecksumOption } from "../checksum.js";
import { crc32cReference } from "./crc32c.js";
import { xxh3Reference } from "./xxh3.js";

/** Writes the option's big-endian trailer of `view` bytes [from, to) at `to`; returns its length. */
export function writeTrailerReference(option: ChecksumOption, view: DataView, from: number, to: number): number {
  const algorithm = checksumAlgorithm(option);
  const bytes = new Uint8Array(view.buffer, view.byteOffset + from, to - from);
  if (algorithm === "crc32c") view.setUint32(to, crc32cReference(bytes));
  if (algorithm === "xxh3") view.setBigUint64(to, xxh3Reference(bytes));
  return checksumTrailerBytes(algorithm);
}

/** Whether the option's trailer at `to` belongs to `view` bytes [from, to). */
export function trailerMatchesReference(option: ChecksumOption, view: DataView, from: number, to: number): boolean {
  const algorithm = checksumAlgorithm(option);
  const bytes = new Uint8Array(view.buffer, view.byteOffset + from, to - from);
  if (algorithm === "crc32c") return view.getUint32(to) === crc32cReference(bytes);
  if (algorithm === "xxh3") return view.getBigUint64(to) === xxh3Reference(bytes);
  return true;
}
