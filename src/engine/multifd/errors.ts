import { VfioMigrationError, named } from "../../errors.js";

/** Where a multifd failure happened: the device first (as QEMU's messages), then channel and idx. */
export interface MultifdPlace {
  device?: string;
  channel?: string;
  idx?: number;
}

/**
 * A multifd device-state transfer failed. The message starts with the device name (or the channel's
 * when no device is known yet) and ends with the channel and packet idx it concerns.
 */
export class MultifdError extends VfioMigrationError {
  readonly device: string | undefined;
  readonly channel: string | undefined;
  readonly idx: number | undefined;

  constructor(code: string, message: string, place: MultifdPlace = {}, options?: { cause?: unknown }) {
    const where = [
      place.device !== undefined && place.channel !== undefined ? `channel ${place.channel}` : undefined,
      place.idx !== undefined ? `idx ${place.idx}` : undefined,
    ].filter((part) => part !== undefined);
    const subject = place.device ?? place.channel;
    super(code, named(subject, where.length > 0 ? `${message} (${where.join(", ")})` : message), options);
    this.device = place.device;
    this.channel = place.channel;
    this.idx = place.idx;
  }
}

/** The transfer was cancelled (abort signal or `abort()`); QEMU's load thread says "operation cancelled". */
export function cancelled(place: MultifdPlace, reason?: unknown): MultifdError {
  return new MultifdError("ERR_MULTIFD_CANCELLED", "operation cancelled", place, { cause: reason });
}
