// Runs every bench/*.bench.ts (or those whose name contains an argument) one after another,
// each in its own Node process so one benchmark's heap and JIT state do not skew the next.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";

const filters = process.argv.slice(2);
const files = readdirSync(new URL("../bench", import.meta.url))
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
for (const file of files) {
  console.log(`\n# bench/${file}`);
  execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", `bench/${file}`], { stdio: "inherit" });
}
