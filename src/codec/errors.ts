import { VfioMigrationError, named } from "../errors.js";

/**
 * Bad bytes on the wire: the stream is not one we accept. `offset` is the stream byte offset of the
 * field at fault (counted from the first byte of the channel, or of the buffer decoded).
 */
export class WireFormatError extends VfioMigrationError {
  readonly offset: number;

  constructor(code: string, message: string, offset: number, subject?: string) {
    super(code, named(subject, `${message} (at byte ${offset})`));
    this.offset = offset;
  }
}

/** A value we were asked to encode does not fit the format (a caller bug, never peer input). */
export class WireEncodeError extends VfioMigrationError {}

/** A multifd packet index the per-device reorder index refuses. */
export class ReorderError extends VfioMigrationError {
  readonly idx: number;

  constructor(code: string, message: string, idx: number, subject?: string) {
    super(code, named(subject, message));
    this.idx = idx;
  }
}

export function isWireFormatError(err: unknown): err is WireFormatError {
  return err instanceof WireFormatError;
}
