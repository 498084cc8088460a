// vitest's toEqual walks a typed array element by element through its generic deep equality (about
// 2 s for 300 KiB of device state); byte arrays of the same type compare here in a plain loop instead,
// so a test's cost is the migration it checks, not the check. Other types keep vitest's rules.
import { expect } from "vitest";

function sameBytes(a: unknown, b: unknown): boolean | undefined {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.constructor !== b.constructor) return undefined;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

expect.addEqualityTesters([sameBytes]);
