// Every combination of the swept settings, in a fixed order: the first setting varies slowest.
import type { PlanSettings, PlanSweep } from "./types.js";

/** QEMU's defaults where a setting is not swept (2 multifd channels as `simulate` uses). */
export const DEFAULT_SETTINGS: PlanSettings = {
  channels: 2,
  multifd: "auto",
  switchoverAck: false,
  downtimeLimit: 300,
  bandwidth: undefined,
  switchoverBandwidth: undefined,
};

const ORDER: readonly (keyof PlanSettings)[] = ["channels", "multifd", "switchoverAck", "downtimeLimit", "bandwidth", "switchoverBandwidth"];

export function expandSweep(sweep: PlanSweep = {}): PlanSettings[] {
  let combinations: PlanSettings[] = [{ ...DEFAULT_SETTINGS }];
  for (const key of ORDER) {
    const given = sweep[key];
    if (given === undefined) continue;
    const values: readonly unknown[] = Array.isArray(given) ? given : [given];
    if (values.length === 0) throw new RangeError(`plan: no values to try for ${key}`);
    combinations = combinations.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combinations;
}

/** The settings that take more than one value in `rows`, in sweep order. */
export function sweptKeys(rows: readonly PlanSettings[]): (keyof PlanSettings)[] {
  return ORDER.filter((key) => new Set(rows.map((r) => r[key])).size > 1);
}
