// The timeline's markers: switchover events as labelled vertical lines, the downtime window shaded.
import { formatMs } from "./format.js";
import type { Frame } from "./frame.js";
import { DOWNTIME_EDGE, DOWNTIME_FILL, MARKER_STYLES } from "./palette.js";
import { el, escapeXml, tooltip } from "./svg.js";
import type { ReportData } from "./types.js";

const LABEL_ROW = 16;

export function downtimeShade(data: ReportData, frame: Frame, top: number, bottom: number): string {
  const window = data.downtime;
  if (!window) return "";
  const x0 = Math.max(frame.left, frame.x(window.startMs));
  const x1 = Math.min(frame.right, frame.x(window.endMs));
  if (x1 < x0) return "";
  return el("rect", { x: x0, y: top, width: Math.max(1.5, x1 - x0), height: bottom - top, fill: DOWNTIME_FILL, stroke: DOWNTIME_EDGE, "stroke-opacity": 0.35, class: "downtime" }, tooltip(`downtime ${formatMs(window.endMs - window.startMs)}`));
}

const GLOBAL_MARKERS = new Set(["SWITCHOVER_ACK", "SWITCHOVER_START", "VM_STOP", "VM_START"]);

/** Rough width of a bold 11.5 px label: capitals and digits are wider than lower case. */
function labelWidth(text: string): number {
  let width = 0;
  for (const c of text) width += /[A-Z0-9_]/.test(c) ? 8 : 6.5;
  return width;
}

interface PlacedLabel {
  readonly x: number;
  readonly text: string;
  readonly color: string;
  readonly baseline: number;
  readonly anchorEnd: boolean;
  readonly marker?: ReportData["markers"][number];
}

/**
 * Marker names above the plot, stacked in as many rows as it takes for none to overlap; each marker's
 * line later runs from its label down through the whole plot.
 */
export function markerLabels(data: ReportData, frame: Frame): { labels: PlacedLabel[]; height: number } {
  const [from, to] = frame.x.domain;
  const items: Omit<PlacedLabel, "baseline" | "anchorEnd">[] = data.markers
    .filter((m) => GLOBAL_MARKERS.has(m.kind) && m.t >= from && m.t <= to)
    .map((m) => ({ x: frame.x(m.t), text: MARKER_STYLES[m.kind].label, color: MARKER_STYLES[m.kind].color, marker: m }));
  const window = data.downtime;
  if (window && window.endMs >= from && window.startMs <= to) {
    const mid = frame.x((Math.max(window.startMs, from) + Math.min(window.endMs, to)) / 2);
    items.push({ x: mid, text: `downtime ${formatMs(window.endMs - window.startMs)}`, color: DOWNTIME_EDGE });
  }
  items.sort((a, b) => a.x - b.x);
  const rowEnds: number[] = [];
  const placed = items.map((item) => {
    const width = labelWidth(item.text);
    const anchorEnd = item.x + width + 4 > frame.right + frame.margin - 4;
    const start = anchorEnd ? item.x - width - 3 : item.x + 3;
    let row = rowEnds.findIndex((end) => end < start - 8);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = start + width;
    return { ...item, row, anchorEnd };
  });
  const height = Math.max(1, rowEnds.length) * LABEL_ROW + 4;
  return { labels: placed.map((p) => ({ ...p, baseline: height - p.row * LABEL_ROW - 6 })), height };
}

export function markerOverlay(labels: readonly PlacedLabel[], bottom: number): string {
  return labels
    .map((label) => {
      const text = el("text", { x: label.anchorEnd ? label.x - 3 : label.x + 3, y: label.baseline, fill: label.color, class: "marker-label", "text-anchor": label.anchorEnd ? "end" : "start" }, escapeXml(label.text));
      if (!label.marker) return text;
      const style = MARKER_STYLES[label.marker.kind];
      const line = el("line", { x1: label.x, x2: label.x, y1: label.baseline - 10, y2: bottom, stroke: style.color, "stroke-dasharray": style.dash, class: `marker marker-${label.marker.kind}` }, tooltip(`${style.label} at ${formatMs(label.marker.t)}`));
      return line + text;
    })
    .join("");
}
