// The deterministic-simulation runner: a scenario per seed, run on virtual time, checked against
// the guarantees. The same seed always gives the same run (see `fingerprint`).
import { ensureCodec } from "../../device/simulated/codec-ready.js";
import { checkGuarantees, GUARANTEE_NAMES, type Violation } from "./guarantees.js";
import { runScenario, type Outcome } from "./run.js";
import { drawScenario } from "./scenario.js";

export { drawScenario, type Scenario } from "./scenario.js";
export { checkGuarantees, GUARANTEE_NAMES, type Guarantee, type Violation, type ViolationKind } from "./guarantees.js";
export type { Outcome, VmEvent } from "./run.js";

export interface SeedResult {
  seed: number;
  outcome: Outcome;
  violations: Violation[];
}

/** Loads the WASM codec once, so no run waits on real compilation (which virtual time cannot drive). */
export async function prepareSimulation(): Promise<void> {
  await ensureCodec();
}

/** Runs seed `seed` and checks it. Call `prepareSimulation()` once before. */
export async function runSeed(seed: number): Promise<SeedResult> {
  const outcome = await runScenario(drawScenario(seed));
  return { seed, outcome, violations: checkGuarantees(outcome) };
}

/** Everything observable about a run, as one string: equal for two runs of the same seed. */
export function fingerprint(o: Outcome): string {
  const side = (r: Outcome["source"]) => ({
    status: r.status,
    error: r.error ? `${(r.error as { code?: string }).code}: ${r.error.message}` : undefined,
    setupMs: r.setupMs,
    totalMs: r.totalMs,
    downtimeMs: r.downtimeMs,
    bytes: r.bytes,
    devices: r.devices,
  });
  return JSON.stringify({
    source: side(o.source),
    destination: side(o.destination),
    trace: o.source.trace,
    vm: o.vm,
    running: o.running,
    devices: o.devices,
    ended: o.ended,
    destinationLagMs: o.destinationLagMs,
    virtualMs: o.virtualMs,
  });
}

/** One line per violation, then the command that replays the seed. */
export function describeFailure(result: SeedResult): string {
  const lines = result.violations.map((v) => `seed ${result.seed}: guarantee ${v.guarantee} (${GUARANTEE_NAMES[v.guarantee]}, ${v.kind}): ${v.message}`);
  lines.push(`  replay: npm run dst -- --seed ${result.seed}`);
  return lines.join("\n");
}

/** A short line saying what a seed's scenario was and how it ended. */
export function describeRun(result: SeedResult): string {
  const { scenario: s, source, destination, virtualMs } = result.outcome;
  const faults = [
    ...s.linkFaults.map((f) => `${f.kind} ${f.channel} ${f.direction} @${f.atByte}${f.ms === Infinity ? " forever" : f.ms ? ` ${f.ms}ms` : ""}`),
    ...Object.entries(s.connectDelayMs).map(([name, ms]) => `late ${name} ${ms}ms`),
    ...s.deviceFaults.map((f) => `${f.side} device ${f.device} ${JSON.stringify(f.faults)}`),
    ...(s.crash ? [`crash ${s.crash.side} @${s.crash.atMs}ms`] : []),
    ...(s.cancelAtMs !== undefined ? [`cancel @${s.cancelAtMs}ms`] : []),
  ];
  const code = (r: typeof source) => (r.error ? ` ${(r.error as { code?: string }).code}` : "");
  return (
    `seed ${result.seed}: ${s.devices.length} device(s), multifd ${s.multifd.channels}/${s.multifd.mode}, ack ${s.switchoverAck ? "on" : "off"}, ` +
    `faults [${faults.join("; ") || "none"}] -> source ${source.status}${code(source)}, destination ${destination.status}${code(destination)}, ${Math.round(virtualMs)} virtual ms`
  );
}
