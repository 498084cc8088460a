// `plan --report FILE.html` (Node only: it writes a file).
import { accessSync, constants, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Plan } from "../plan/index.js";
import { usageError } from "./options.js";
import { renderPlanReport } from "../report/plan.js";

/** Refuses a report path whose folder is missing or not writable, before any planning runs. */
export function checkReportPath(file: string): void {
  const folder = dirname(file);
  try {
    if (!statSync(folder).isDirectory()) throw new Error("not a folder");
    accessSync(folder, constants.W_OK);
  } catch {
    throw usageError(`--report: cannot write '${file}' (its folder '${folder}' is missing or not writable)`);
  }
}

export async function writePlanReport(file: string, plan: Plan, subtitle: string, command: string): Promise<void> {
  await writeFile(file, renderPlanReport(plan, command, subtitle));
}
