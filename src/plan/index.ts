// `plan()`: what downtime and total time each combination of settings gives, predicted by running
// the real engine on virtual time. Browser-safe: no Node built-ins.
import { VfioMigrationError } from "../errors.js";
import { runConfiguration } from "./run.js";
import { planScale } from "./scale.js";
import { expandSweep } from "./sweep.js";
import type { Plan, PlanObjective, PlanOptions, PlanRow } from "./types.js";

export type * from "./types.js";
export { DEFAULT_SETTINGS, sweptKeys } from "./sweep.js";

const DEFAULT_HORIZON_MS = 10 * 60_000;
const DEFAULT_MAX_PASSES = 20;

/** Plans every combination of `options.sweep`, one after another; the same options give the same plan. */
export async function plan(options: PlanOptions): Promise<Plan> {
  checkModel(options);
  const configurations = expandSweep(options.sweep);
  const scale = planScale(options.device);
  const state = options.device.devices * options.device.stateSize;
  const limits = {
    horizonMs: options.horizonMs ?? DEFAULT_HORIZON_MS,
    maxBytes: ((options.maxPasses ?? DEFAULT_MAX_PASSES) * state) / scale,
  };
  const rows: PlanRow[] = [];
  for (const settings of configurations) {
    const row = await runConfiguration(options.device, options.link, settings, scale, limits);
    rows.push(row);
    options.onRow?.(row, rows.length - 1, configurations.length);
  }
  return { rows, best: bestRow(rows, options.objective ?? "downtime"), scale };
}

/** The converged row with the lowest objective; the earlier row wins a tie. */
export function bestRow(rows: readonly PlanRow[], objective: PlanObjective): PlanRow | null {
  const score = (r: PlanRow): number => (objective === "downtime" ? (r.downtimeMs ?? Infinity) : r.totalMs);
  let best: PlanRow | null = null;
  for (const r of rows) if (r.converged && (best === null || score(r) < score(best))) best = r;
  return best;
}

function checkModel({ device, link, horizonMs, maxPasses }: PlanOptions): void {
  const fail = (message: string): never => {
    throw new VfioMigrationError("ERR_PLAN_OPTIONS", message);
  };
  if (!Number.isInteger(device.devices) || device.devices < 1 || device.devices > 64) fail(`devices must be an integer in 1..64, got ${device.devices}`);
  if (!Number.isSafeInteger(device.stateSize) || device.stateSize < 16) fail(`stateSize must be an integer of at least 16 bytes, got ${device.stateSize}`);
  if (!(link.bandwidth >= 0) || !Number.isFinite(link.bandwidth)) fail(`link bandwidth must be a number >= 0, got ${link.bandwidth}`);
  if (!((link.latencyMs ?? 0) >= 0)) fail(`link latency must be >= 0 ms, got ${link.latencyMs}`);
  if (horizonMs !== undefined && !(horizonMs > 0)) fail(`horizonMs must be > 0, got ${horizonMs}`);
  if (maxPasses !== undefined && !(maxPasses >= 1)) fail(`maxPasses must be >= 1, got ${maxPasses}`);
}
