#!/usr/bin/env node
// Deterministic simulation: `npm run dst -- --seeds N [--from S]` runs seeds S..S+N-1 (default
// from 1); `npm run dst -- --seed S` replays one seed and prints its scenario. Runs the built
// library (dist/); exit 1 when any seed breaks a guarantee.
import { parseArgs } from "node:util";
import { describeFailure, describeRun, prepareSimulation, runSeed } from "../dist/sim/dst/index.js";
import { Tally } from "../dist/sim/dst/tally.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string" },
    from: { type: "string", default: "1" },
    seed: { type: "string" },
    verbose: { type: "boolean", default: false },
    "max-seconds": { type: "string" },
  },
});
const integer = (text, name) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`dst: --${name} must be a non-negative integer, got '${text}'`);
    process.exit(2);
  }
  return n;
};

await prepareSimulation();
if (values.seed !== undefined) {
  const result = await runSeed(integer(values.seed, "seed"));
  console.log(JSON.stringify(result.outcome.scenario, null, 2));
  console.log(describeRun(result));
  for (const e of result.outcome.vm) console.log(`  t=${e.t} ms ${e.side} VM ${e.kind}`);
  if (result.violations.length) console.log(describeFailure(result));
  else console.log("every guarantee held");
  process.exit(result.violations.length ? 1 : 0);
}

const from = integer(values.from, "from");
const count = integer(values.seeds ?? "200", "seeds");
const tally = new Tally();
const started = performance.now();
// A long sweep may be given a wall-time budget: it stops after the seed that crosses it and says how far it got.
const budgetMs = values["max-seconds"] === undefined ? Infinity : integer(values["max-seconds"], "max-seconds") * 1000;
let last = from - 1;
for (let seed = from; seed < from + count && performance.now() - started < budgetMs; seed++) {
  last = seed;
  const seedStarted = performance.now();
  const result = await runSeed(seed);
  tally.add(result);
  if (values.verbose) console.log(`${describeRun(result)} (${result.outcome.steps} timers, ${Math.round(performance.now() - seedStarted)} ms wall)`);
  if (result.violations.length) console.log(describeFailure(result));
  if ((seed - from + 1) % 1000 === 0) console.error(`dst: ${seed - from + 1} seeds, ${Math.round((performance.now() - started) / 1000)} s`);
}
const seconds = (performance.now() - started) / 1000;
const ran = last - from + 1;
const stopped = ran < count ? ` (stopped by --max-seconds after ${ran} of ${count})` : "";
console.log(`seeds ${from}..${last} in ${seconds.toFixed(1)} s wall (${((seconds * 1000) / Math.max(1, ran)).toFixed(1)} ms per seed)${stopped}, node ${process.version}`);
console.log(tally.report());
process.exit(tally.violated.size ? 1 : 0);
