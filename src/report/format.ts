// Human-readable figures for the report's axes, labels and tables.

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 -> "1.5 KiB"; three significant digits at most. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : trimNumber(value)} ${BYTE_UNITS[unit]}`;
}

/** Milliseconds with a unit that suits their size: "850 µs", "12.5 ms", "3.25 s". */
export function formatMs(ms: number): string {
  if (ms !== 0 && Math.abs(ms) < 1) return `${trimNumber(ms * 1000)} µs`;
  if (Math.abs(ms) < 1000) return `${trimNumber(ms)} ms`;
  return `${trimNumber(ms / 1000)} s`;
}

function trimNumber(value: number): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}
