// The planner's page: downtime and total time against the swept setting, one line per combination of
// the other settings, and every row in a table. Browser-safe, self-contained like the run report.
import { sweptKeys, type Plan, type PlanRow, type PlanSettings } from "../plan/index.js";
import { formatBytes, formatMs } from "./format.js";
import { channelColor } from "./palette.js";
import { linearScale, niceTicks } from "./scale.js";
import { el, escapeXml, pathOf, tooltip } from "./svg.js";
import { reportPage } from "./style.js";

const WIDTH = 1100;
const HEIGHT = 260;
const LEFT = 70;
const RIGHT = 250;
const TOP = 16;
const BOTTOM = 40;

type Key = keyof PlanSettings;
const NUMERIC: readonly Key[] = ["channels", "downtimeLimit", "bandwidth", "switchoverBandwidth"];

/** How a setting's value reads in labels. */
export function settingText(key: Key, value: PlanSettings[Key]): string {
  if (value === undefined) return key === "bandwidth" ? "128 MiB/s (default)" : "measured";
  if (key === "switchoverAck") return value ? "on" : "off";
  if (key === "downtimeLimit") return `${value} ms`;
  if (key === "bandwidth" || key === "switchoverBandwidth") return value === 0 ? "unlimited" : `${formatBytes(value as number)}/s`;
  return String(value);
}

export const SETTING_LABELS: Readonly<Record<Key, string>> = {
  channels: "channels",
  multifd: "multifd",
  switchoverAck: "switchover-ack",
  downtimeLimit: "downtime limit",
  bandwidth: "bandwidth",
  switchoverBandwidth: "switchover bandwidth",
};

/** `command`: the command line that made the plan, shown under the title. */
export function renderPlanReport(plan: Plan, command: string, subtitle: string): string {
  const title = "vfio-migration plan";
  const swept = sweptKeys(plan.rows);
  const axis = swept.find((k) => NUMERIC.includes(k)) ?? swept[0];
  const body = [
    el("header", {}, el("h1", {}, escapeXml(title)) + el("p", { class: "card-note" }, escapeXml(subtitle)) + el("p", {}, el("code", {}, escapeXml(command)))),
    bestCards(plan),
    axis === undefined ? "" : chart(plan.rows, swept, axis, "downtimeMs", "Predicted downtime"),
    axis === undefined ? "" : chart(plan.rows, swept, axis, "totalMs", "Predicted total time"),
    rowsTable(plan.rows, swept),
  ].join("\n");
  return reportPage(title, body);
}

function bestCards(plan: Plan): string {
  const best = plan.best;
  const card = (label: string, value: string, note = ""): string =>
    el("div", { class: "card" }, el("div", { class: "card-label" }, escapeXml(label)) + el("div", { class: "card-value" }, escapeXml(value)) + (note ? el("div", { class: "card-note" }, escapeXml(note)) : ""));
  if (!best) return el("div", { class: "cards" }, card("best", "none converged"));
  const settings = sweptKeys(plan.rows).map((k) => `${SETTING_LABELS[k]} ${settingText(k, best[k])}`).join(", ") || "the only configuration";
  return el(
    "div",
    { class: "cards" },
    card("best", settings) + card("downtime", formatMs(best.downtimeMs ?? 0)) + card("total time", formatMs(best.totalMs)) + card("bytes moved", formatBytes(best.bytes), `${best.iterations} iterations`) +
      card("configurations", String(plan.rows.length), `${plan.rows.filter((r) => r.converged).length} converged`),
  );
}

/** One line per combination of the swept settings other than `axis`; rows that did not converge leave gaps. */
function chart(rows: readonly PlanRow[], swept: readonly Key[], axis: Key, metric: "downtimeMs" | "totalMs", heading: string): string {
  const others = swept.filter((k) => k !== axis);
  const groups = new Map<string, PlanRow[]>();
  for (const r of rows) {
    const name = others.map((k) => `${SETTING_LABELS[k]} ${settingText(k, r[k])}`).join(", ") || "all";
    groups.set(name, [...(groups.get(name) ?? []), r]);
  }
  const xs = [...new Set(rows.map((r) => r[axis]))];
  const numeric = NUMERIC.includes(axis) && xs.every((v) => typeof v === "number");
  const xValue = (r: PlanRow): number => (numeric ? (r[axis] as number) : xs.indexOf(r[axis]));
  const xDomain: [number, number] = numeric ? [Math.min(...(xs as number[])), Math.max(...(xs as number[]))] : [0, Math.max(1, xs.length - 1)];
  if (xDomain[0] === xDomain[1]) xDomain[1] = xDomain[0] + 1;
  const x = linearScale(xDomain, [LEFT, WIDTH - RIGHT]);
  const value = (r: PlanRow): number | null => (r.converged ? r[metric] : null);
  const top = Math.max(1, ...rows.map(value).filter((v): v is number => v !== null));
  const yTicks = niceTicks(0, top, 5);
  // The ticks stop at or below the largest value: add one step so every point lies inside.
  if (yTicks[yTicks.length - 1] < top) yTicks.push(yTicks[yTicks.length - 1] + (yTicks[1] - yTicks[0] || top));
  const y = linearScale([0, yTicks[yTicks.length - 1] || 1], [TOP + HEIGHT, TOP]);
  const grid = yTicks.map((v) => el("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y(v), y2: y(v), class: "hgrid" }) + el("text", { x: LEFT - 8, y: y(v) + 4, class: "tick", "text-anchor": "end" }, escapeXml(formatMs(v)))).join("");
  const xTicks = (numeric ? (xs as number[]) : xs.map((_, i) => i)).map((v, i) =>
    el("text", { x: x(v), y: TOP + HEIGHT + 18, class: "tick", "text-anchor": "middle" }, escapeXml(settingText(axis, numeric ? (v as PlanSettings[Key]) : xs[i]))),
  );
  const series = [...groups.entries()].map(([name, members], i) => {
    const color = channelColor(i);
    // Offset coincident lines a little, so equal predictions stay visible as separate lines.
    const dy = (i - (groups.size - 1) / 2) * 1.5;
    const points = members.filter((r) => value(r) !== null).map((r) => [x(xValue(r)), y(value(r) as number) + dy] as const);
    const dots = members
      .map((r) =>
        value(r) === null
          ? el("text", { x: x(xValue(r)), y: TOP + HEIGHT - 4, fill: color, "text-anchor": "middle", class: "tick" }, "×" + tooltip(`${name}: ${r.reason ?? "did not converge"}`))
          : el("circle", { cx: x(xValue(r)), cy: y(r[metric] as number) + dy, r: 3.5, fill: color }, tooltip(`${name}, ${SETTING_LABELS[axis]} ${settingText(axis, r[axis])}: ${formatMs(r[metric] as number)}`)),
      )
      .join("");
    return { name, color, path: points.length > 1 ? el("path", { d: pathOf(points), stroke: color, class: "series" }) : "", dots, lastY: points.length ? points[points.length - 1][1] : TOP + HEIGHT };
  });
  const legend = series.map((s, i) => el("text", { x: WIDTH - RIGHT + 14, y: TOP + 12 + i * 16, fill: s.color, class: "end-label" }, escapeXml(s.name))).join("");
  const axisLabel = el("text", { x: (LEFT + WIDTH - RIGHT) / 2, y: TOP + HEIGHT + 36, class: "side", "text-anchor": "middle" }, escapeXml(SETTING_LABELS[axis]));
  const svg = el("svg", { class: "timeline", viewBox: `0 0 ${WIDTH} ${TOP + HEIGHT + BOTTOM}`, width: "100%", role: "img", "aria-label": heading }, grid + el("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y(0), y2: y(0), class: "axis" }) + xTicks.join("") + series.map((s) => s.path + s.dots).join("") + legend + axisLabel);
  return el("section", { class: "panel" }, el("h2", {}, escapeXml(heading)) + svg);
}

function rowsTable(rows: readonly PlanRow[], swept: readonly Key[]): string {
  const keys = swept.length > 0 ? swept : (["channels", "multifd"] as Key[]);
  const head = el("tr", {}, [...keys.map((k) => SETTING_LABELS[k]), "downtime", "total", "bytes", "iterations", "result"].map((h) => el("th", {}, escapeXml(h))).join(""));
  const body = rows
    .map((r) =>
      el(
        "tr",
        {},
        [...keys.map((k) => escapeXml(settingText(k, r[k]))), r.downtimeMs === null ? "–" : formatMs(r.downtimeMs), formatMs(r.totalMs), formatBytes(r.bytes), String(r.iterations)].map((c) => el("td", {}, c)).join("") +
          el("td", { class: r.converged ? "ok" : "bad" }, escapeXml(r.converged ? "converged" : (r.reason ?? "did not converge"))),
      ),
    )
    .join("");
  return el("section", { class: "panel" }, el("h2", {}, "Every configuration") + el("table", {}, head + body));
}
