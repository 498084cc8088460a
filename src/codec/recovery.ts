// The commit protocol's recovery exchange (our extension, docs/wire-format.md 5.6): a committed
// source that lost the main connection dials again and asks the destination for its decision.
// Two fixed messages on a fresh connection, off the hot path, so plain DataView code.
import { WireFormatError } from "./errors.js";

/** `be32 "QEVR"`: tells a recovery connection apart from a main (`QEVM`) or multifd (`0x11223344`) one. */
export const RECOVERY_MAGIC = 0x51455652;
export const RECOVERY_VERSION = 1;
/** Query, source to destination: `be32 magic | be32 version | 16 bytes migration uuid`. */
export const RECOVERY_QUERY_BYTES = 24;
/** Answer, destination to source: `be32 magic | be32 outcome`. */
export const RECOVERY_ANSWER_BYTES = 8;

/** The destination's answer. */
export enum RecoveryOutcome {
  /** Its VM runs: the migration completed. */
  STARTED = 1,
  /** It discarded the state and will never start: the source may resume. */
  ABORTED = 2,
  /** It does not know this migration (another uuid, or it restarted): it cannot say. */
  UNKNOWN = 3,
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function encodeRecoveryQuery(uuid: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECOVERY_QUERY_BYTES);
  view(out).setUint32(0, RECOVERY_MAGIC);
  view(out).setUint32(4, RECOVERY_VERSION);
  out.set(uuid.subarray(0, 16), 8);
  return out;
}

/** The uuid a query asks about; throws ERR_RECOVERY_BAD_MESSAGE for anything else. */
export function decodeRecoveryQuery(bytes: Uint8Array, subject?: string): Uint8Array {
  checkMagic(bytes, RECOVERY_QUERY_BYTES, "query", subject);
  const version = view(bytes).getUint32(4);
  if (version !== RECOVERY_VERSION) throw new WireFormatError("ERR_RECOVERY_BAD_MESSAGE", `recovery query version ${version}, expected ${RECOVERY_VERSION}`, 4, subject);
  return bytes.slice(8, 24);
}

export function encodeRecoveryAnswer(outcome: RecoveryOutcome): Uint8Array {
  const out = new Uint8Array(RECOVERY_ANSWER_BYTES);
  view(out).setUint32(0, RECOVERY_MAGIC);
  view(out).setUint32(4, outcome);
  return out;
}

export function decodeRecoveryAnswer(bytes: Uint8Array, subject?: string): RecoveryOutcome {
  checkMagic(bytes, RECOVERY_ANSWER_BYTES, "answer", subject);
  const outcome = view(bytes).getUint32(4);
  if (!(outcome in RecoveryOutcome)) throw new WireFormatError("ERR_RECOVERY_BAD_MESSAGE", `recovery answer ${outcome} is not 1, 2 or 3`, 4, subject);
  return outcome;
}

function checkMagic(bytes: Uint8Array, length: number, what: string, subject: string | undefined): void {
  if (bytes.length !== length) throw new WireFormatError("ERR_RECOVERY_BAD_MESSAGE", `recovery ${what} of ${bytes.length} bytes, expected ${length}`, 0, subject);
  const magic = view(bytes).getUint32(0);
  if (magic !== RECOVERY_MAGIC) throw new WireFormatError("ERR_RECOVERY_BAD_MESSAGE", `recovery ${what} magic 0x${magic.toString(16)}, expected 0x${RECOVERY_MAGIC.toString(16)}`, 0, subject);
}
