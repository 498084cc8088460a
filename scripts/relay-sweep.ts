// `npm run relay-sweep [-- --parallel N]`: every case of the relay sweep (issue 11), `send` and
// `receive` as two processes through a TCP fault relay; prints one line per case and a summary,
// exits 1 if any case broke a guarantee. Needs the built CLI (the npm script builds first).
import { runCase, runCases, sweepCases } from "../test/cli/relay-sweep.js";

const at = process.argv.indexOf("--parallel");
const parallel = at >= 0 ? Number(process.argv[at + 1]) : 4;
const started = performance.now();
const clean = await runCase({ name: "clean" });
if (clean.violations.length > 0 || clean.source?.status !== "completed") {
  console.error(`the clean run did not complete: ${JSON.stringify(clean)}`);
  process.exit(1);
}
const outcomes = await runCases(sweepCases(clean.connections), parallel);
const tally = new Map<string, number>();
for (const o of outcomes) {
  const key = `${o.source?.status ?? "?"}/${o.destination?.status ?? "?"}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
  const recovered = o.source?.recovered ? " (recovered)" : "";
  console.log(`${o.violations.length ? "FAIL" : "ok  "} ${o.name}: source ${o.source?.status}${recovered}, destination ${o.destination?.status}, ${Math.round(o.ms)} ms${o.fired ? "" : " (fault not reached)"}${o.violations.map((v) => `\n     ${v}`).join("")}`);
}
const failed = outcomes.filter((o) => o.violations.length > 0).length;
console.log(`${outcomes.length} cases, ${failed} broke a guarantee, in ${Math.round((performance.now() - started) / 1000)} s; source/destination: ${[...tally].map(([k, n]) => `${k} ${n}`).join(", ")}`);
process.exit(failed ? 1 : 0);
