// What a sweep covered and found: counts of scenario features, outcomes and violated guarantees.
import type { Guarantee } from "./guarantees.js";
import type { SeedResult } from "./index.js";

export class Tally {
  seeds = 0;
  readonly features = new Map<string, number>();
  readonly outcomes = new Map<string, number>();
  readonly violated = new Map<Guarantee, number[]>();
  /** The seed that fired the most timers, and how many: how close the sweep came to the step budget. */
  mostSteps = { seed: 0, steps: 0 };
  virtualMs = 0;

  add(result: SeedResult): void {
    this.seeds++;
    const { scenario: s, source, destination } = result.outcome;
    if (result.outcome.steps > this.mostSteps.steps) this.mostSteps = { seed: result.seed, steps: result.outcome.steps };
    this.virtualMs += result.outcome.virtualMs;
    const count = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);
    count(this.features, `${s.devices.length} device(s)`);
    if (s.multifd.channels > 0 && s.multifd.mode !== "off") count(this.features, "multifd transfer");
    if (s.multifd.checksum && s.multifd.channels > 0 && s.multifd.mode !== "off") count(this.features, "checksum");
    if (s.switchoverAck) count(this.features, "switchover-ack");
    if (s.p2pWrites) count(this.features, "p2p writes");
    if (s.devices.some((d) => d.dirtyRate > 0)) count(this.features, "dirtying devices");
    for (const f of s.linkFaults) count(this.features, `${f.kind} ${f.channel === "main" ? "main" : "multifd"} ${f.direction}`);
    if (Object.keys(s.connectDelayMs).length) count(this.features, "late channel");
    for (const f of s.deviceFaults) count(this.features, `${f.side} device ${Object.keys(f.faults)[0]}`);
    if (s.crash) count(this.features, `${s.crash.side} crash`);
    if (s.cancelAtMs !== undefined) count(this.features, "cancel");
    if (s.linkFaults.length + Object.keys(s.connectDelayMs).length + s.deviceFaults.length === 0 && !s.crash && s.cancelAtMs === undefined) count(this.features, "no fault");
    count(this.outcomes, `source ${source.status} / destination ${destination.status}`);
    for (const g of new Set(result.violations.map((v) => v.guarantee))) {
      const seeds = this.violated.get(g) ?? [];
      seeds.push(result.seed);
      this.violated.set(g, seeds);
    }
  }

  /** A readable report: features and outcomes by frequency, then the seeds that broke each guarantee. */
  report(): string {
    const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `  ${k}: ${n}`);
    const hours = (this.virtualMs / 3_600_000).toFixed(1);
    const lines = [`${this.seeds} seeds, ${hours} virtual hours, most timers fired by one seed: ${this.mostSteps.steps} (seed ${this.mostSteps.seed})`, "covered:", ...sorted(this.features), "outcomes:", ...sorted(this.outcomes)];
    for (const [g, seeds] of [...this.violated].sort((a, b) => a[0] - b[0])) {
      lines.push(`guarantee ${g} broken by ${seeds.length} seed(s): ${seeds.slice(0, 40).join(", ")}${seeds.length > 40 ? ", ..." : ""}`);
    }
    if (this.violated.size === 0) lines.push("every guarantee held on every seed");
    return lines.join("\n");
  }
}
