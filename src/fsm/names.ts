import { UnknownNameError } from "./errors.js";
import { DeviceState, MigrationFlags } from "./states.js";

const STATE_COUNT = 8;
const FLAG_BITS = [MigrationFlags.STOP_COPY, MigrationFlags.P2P, MigrationFlags.PRE_COPY];

/** True for the eight values of `enum vfio_device_mig_state`. */
export function isDeviceState(value: unknown): value is DeviceState {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < STATE_COUNT;
}

/** The uAPI name of a state (`RUNNING_P2P`), or the raw value in brackets for anything else. */
export function stateName(state: number): string {
  return isDeviceState(state) ? DeviceState[state] : `<${String(state)}>`;
}

/** The state named `name` (case-insensitive, as printed by `stateName`). */
export function parseState(name: string): DeviceState {
  const key = name.trim().toUpperCase();
  const value = (DeviceState as unknown as Record<string, unknown>)[key];
  if (typeof value !== "number") {
    throw new UnknownNameError(`unknown device state '${name}' (one of ${allStateNames().join(", ")})`);
  }
  return value;
}

/** Every state name in uAPI order (ERROR first). */
export function allStateNames(): string[] {
  return Array.from({ length: STATE_COUNT }, (_, value) => DeviceState[value]);
}

/** The names of the `MigrationFlags` bits set in `flags`, lowest bit first; unknown bits as hex. */
export function flagNames(flags: number): string[] {
  const names = FLAG_BITS.filter((bit) => (flags & bit) !== 0).map((bit) => MigrationFlags[bit]);
  const unknown = flags & ~FLAG_BITS.reduce((all, bit) => all | bit, 0);
  return unknown ? [...names, `0x${(unknown >>> 0).toString(16)}`] : names;
}

/** Parses `STOP_COPY,P2P,PRE_COPY` (also `|` or spaces as separators, any case) into flag bits; STOP_COPY is mandatory (uAPI). */
export function parseFlags(text: string): number {
  const parts = text.split(/[\s,|]+/).filter(Boolean);
  if (parts.length === 0) throw new UnknownNameError("no migration flags given (e.g. STOP_COPY,P2P,PRE_COPY)");
  let flags = 0;
  for (const part of parts) {
    const value = (MigrationFlags as unknown as Record<string, unknown>)[part.toUpperCase()];
    if (typeof value !== "number") {
      throw new UnknownNameError(`unknown migration flag '${part}' (one of STOP_COPY, P2P, PRE_COPY)`);
    }
    flags |= value;
  }
  if (!(flags & MigrationFlags.STOP_COPY)) throw new UnknownNameError(`migration flags '${text}' lack STOP_COPY, which every device must support`);
  return flags;
}
