/**
 * The base of every error this library throws. `code` is stable across releases and listed in
 * docs/errors.md; the message starts with the device or channel name when there is one, as QEMU's do.
 */
export class VfioMigrationError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True for errors raised by this library (a plain Error with a `code` is not one). */
export function isVfioMigrationError(err: unknown): err is VfioMigrationError {
  return err instanceof VfioMigrationError;
}

/** Prefixes a message with the name of the device or channel it concerns. */
export function named(subject: string | undefined, message: string): string {
  return subject ? `${subject}: ${message}` : message;
}
