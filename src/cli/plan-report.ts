// `plan --report FILE.html` (Node only: it writes a file).
import { writeFile } from "node:fs/promises";
import type { Plan } from "../plan/index.js";
import { renderPlanReport } from "../report/plan.js";

export async function writePlanReport(file: string, plan: Plan, subtitle: string, command: string): Promise<void> {
  await writeFile(file, renderPlanReport(plan, command, subtitle));
}
