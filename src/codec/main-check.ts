// Our main-channel integrity extension (docs/wire-format.md 5.4): with a checksum negotiated, each
// unit of the main stream after CONFIGURATION, up to and including EOF, is followed by a running
// check of every covered byte so far, so a changed, lost, repeated or reordered byte fails at the
// next check. The source's MainWriter writes the checks; the main-stream parser verifies them.
import { crc32cOn } from "./crc32c.js";
import { WireFormatError } from "./errors.js";
import { createInstance, type CodecInstance } from "./wasm/load.js";

export type CheckAlgorithm = "crc32c";

/** The checks' own instance: the parser's header area lives in the shared one. */
let instance: CodecInstance | undefined;
const CHECK_WINDOW_BYTES = 64 << 10;

export class RunningCheck {
  readonly algorithm: CheckAlgorithm;
  /** Bytes each check takes on the wire. */
  readonly bytes = 4;
  #value = 0;

  constructor(algorithm: CheckAlgorithm) {
    this.algorithm = algorithm;
  }

  /** Covers `bytes`, the next bytes of the stream. */
  update(bytes: Uint8Array): void {
    instance ??= createInstance(CHECK_WINDOW_BYTES);
    this.#value = crc32cOn(instance, bytes, this.#value);
  }

  /** Writes the check of everything covered so far (be32) at `offset`; returns the end offset. */
  write(target: Uint8Array, offset: number): number {
    const v = this.#value;
    target[offset] = v >>> 24;
    target[offset + 1] = (v >>> 16) & 0xff;
    target[offset + 2] = (v >>> 8) & 0xff;
    target[offset + 3] = v & 0xff;
    return offset + 4;
  }

  /** The check of everything covered so far, as `write` puts it on the wire (hex, for messages). */
  get hex(): string {
    return this.#value.toString(16).padStart(8, "0");
  }
}

/**
 * The check a CONFIGURATION (our setup config, JSON) turns on: its `capabilities.checksum`, true,
 * "crc32c" or "xxh3" for a running CRC32C (the main channel's check is CRC32C whichever algorithm the
 * multifd packets use), false, "none" or absent for none. Anything else is refused at `offset`.
 */
export function checkOf(configuration: unknown, offset: number, subject?: string): RunningCheck | undefined {
  const capabilities = (configuration as { capabilities?: { checksum?: unknown } } | null)?.capabilities;
  const checksum = typeof capabilities === "object" && capabilities !== null ? capabilities.checksum : undefined;
  if (checksum === undefined || checksum === false || checksum === "none") return undefined;
  if (checksum === true || checksum === "crc32c" || checksum === "xxh3") return new RunningCheck("crc32c");
  throw new WireFormatError("ERR_WIRE_UNKNOWN_CHECKSUM", `CONFIGURATION asks for checksum ${JSON.stringify(checksum)}, which we do not speak`, offset, subject);
}
