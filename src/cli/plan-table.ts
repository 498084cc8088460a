// `plan`'s human output: what was planned, one row per configuration, and the best one.
import { sweptKeys, type DeviceModel, type LinkModel, type Plan, type PlanObjective, type PlanRow } from "../plan/index.js";
import { formatBytes, formatMs } from "../report/format.js";
import { SETTING_LABELS, settingText } from "../report/plan.js";

export interface PlanInputs {
  device: DeviceModel;
  link: LinkModel;
  objective: PlanObjective;
}

/** One line naming the model: "4 devices x 100 MiB (initial 1 MiB, dirty 0 B/s) over 2 GB/s, 0 ms". */
export function describeInputs({ device, link }: PlanInputs): string {
  const rate = (r: number | undefined): string => (r === undefined ? "unbounded" : `${formatBytes(r)}/s`);
  const parts = [
    `${device.devices} device${device.devices === 1 ? "" : "s"} x ${formatBytes(device.stateSize)}`,
    `(initial ${formatBytes(device.initialBytes ?? device.stateSize)}, dirty ${rate(device.dirtyRate ?? 0)}, save ${rate(device.saveBytesPerSecond)}, load ${rate(device.loadBytesPerSecond)}, load delay ${device.loadDelayMs ?? 0} ms)`,
    `over ${link.bandwidth === 0 ? "an unlimited link" : `${formatBytes(link.bandwidth)}/s`}, ${link.latencyMs ?? 0} ms one way`,
  ];
  return parts.join(" ");
}

export function formatPlan(plan: Plan, inputs: PlanInputs): string {
  const swept = sweptKeys(plan.rows);
  const fixed = (["channels", "multifd", "switchoverAck", "downtimeLimit", "bandwidth", "switchoverBandwidth"] as const).filter((k) => !swept.includes(k));
  const header = [...swept.map((k) => SETTING_LABELS[k]), "downtime", "total", "bytes", "iterations", "result"];
  const cells = plan.rows.map((r) => [...swept.map((k) => settingText(k, r[k])), r.downtimeMs === null ? "-" : formatMs(r.downtimeMs), formatMs(r.totalMs), formatBytes(r.bytes), String(r.iterations), r.converged ? "converged" : (r.reason ?? "did not converge")]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (i === c.length - 1 ? 0 : c[i].length))));
  const line = (c: string[]): string => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join("  ").trimEnd();
  const first = plan.rows[0];
  const lines = [
    `plan: ${describeInputs(inputs)}`,
    ...(fixed.length > 0 && first ? [`fixed: ${fixed.map((k) => `${SETTING_LABELS[k]} ${settingText(k, first[k])}`).join(", ")}`] : []),
    ...(plan.scale > 1 ? [`(run at 1/${plan.scale} scale on virtual time: sizes and rates divided, times unchanged; see docs/planner.md)`] : []),
    "",
    line(header),
    ...cells.map(line),
    "",
    best(plan.best, swept, inputs.objective),
  ];
  return lines.join("\n");
}

function best(row: PlanRow | null, swept: readonly (keyof typeof SETTING_LABELS)[], objective: PlanObjective): string {
  if (row === null) return `best for ${objective}: none of the configurations converged`;
  const settings = swept.map((k) => `${SETTING_LABELS[k]} ${settingText(k, row[k])}`).join(", ") || "the only configuration";
  return `best for ${objective}: ${settings} (downtime ${formatMs(row.downtimeMs ?? 0)}, total ${formatMs(row.totalMs)})`;
}
