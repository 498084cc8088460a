// Human sizes and rates on the command line: 300MB (10^6), 100MiB (2^20), 60, 1.5GiB.
import { VfioMigrationError } from "../errors.js";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

/** Parses a byte count (or a rate in bytes/s: `800MB` = 800e6 B/s); `--name` is for the error. */
export function parseSize(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(?:\/s)?\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new VfioMigrationError("ERR_CLI_USAGE", `${option}: '${text}' is not a size (e.g. 60, 300MB, 100MiB, 2GiB, 1TiB)`);
  }
  return Math.round(Number(m[1]) * unit);
}
