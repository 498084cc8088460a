// Range checks of the source's tuning options, before a session starts (QEMU's migrate-set-parameters checks).
import { VfioMigrationError } from "../errors.js";
import type { MigrateOptions } from "./options.js";

/** QEMU's MAX_MIGRATE_DOWNTIME_SECONDS (2000 s), in ms. */
export const MAX_DOWNTIME_LIMIT_MS = 2000 * 1000;

function fail(message: string): never {
  throw new VfioMigrationError("ERR_MIGRATION_OPTIONS", `main: ${message}`);
}

/** Throws ERR_MIGRATION_OPTIONS for a downtime limit outside 0..2000 s or a bandwidth that is not a number >= 0 (0: unlimited / unset). */
export function checkTuning(options: Pick<MigrateOptions, "downtimeLimitMs" | "maxBandwidth" | "switchoverBandwidth">): void {
  const { downtimeLimitMs, maxBandwidth, switchoverBandwidth } = options;
  if (downtimeLimitMs !== undefined && !(Number.isFinite(downtimeLimitMs) && downtimeLimitMs >= 0 && downtimeLimitMs <= MAX_DOWNTIME_LIMIT_MS)) {
    fail(`downtimeLimitMs must be 0..${MAX_DOWNTIME_LIMIT_MS} ms, got ${downtimeLimitMs}`);
  }
  for (const [name, value] of [["maxBandwidth", maxBandwidth], ["switchoverBandwidth", switchoverBandwidth]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) fail(`${name} must be a number of bytes/s >= 0, got ${value}`);
  }
}
