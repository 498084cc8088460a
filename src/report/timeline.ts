// The timeline: one SVG with a shared time axis. Device state bands (source and destination row per
// device), cumulative bytes per channel, pending bytes against the threshold, the markers as vertical
// lines and the downtime window shaded across all of it.
import { CHANNEL_CHART, PENDING_CHART, channelChart, pendingChart } from "./charts.js";
import { formatMs } from "./format.js";
import type { Frame } from "./frame.js";
import { downtimeShade, markerLabels, markerOverlay } from "./markers.js";
import { MARKER_STYLES, STATE_STYLES } from "./palette.js";
import { linearScale, niceTicks } from "./scale.js";
import { el, escapeXml, round, tooltip } from "./svg.js";
import type { ReportData, ReportDevice, StateChange } from "./types.js";

export interface TimelineView {
  /** Unique among the SVGs of one page (clip-path ids). */
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly width: number;
}

const LEFT = 190;
const RIGHT = 84;
const ROW = 18;
const ROW_GAP = 3;
const DEVICE_GAP = 12;
const HEADING = 26;
const AXIS = 28;
const CHAR_WIDTH = 6.4;
/** What fits left of the "src" / "dst" tags (longer names keep both ends); the full name is in the tooltip and the devices table. */
const NAME_CHARS = 20;

export function renderTimeline(data: ReportData, view: TimelineView): string {
  const right = view.width - RIGHT;
  const frame: Frame = { x: linearScale([view.from, view.to], [LEFT, right]), left: LEFT, right, margin: RIGHT, clip: `url(#${view.id}-plot)` };
  const parts: string[] = [];
  let y = 0;

  const labels = markerLabels(data, frame);
  y += labels.height + 6;
  const plotTop = y;

  parts.push(sectionHeading("Device states (source / destination)", y + 17));
  y += HEADING;
  for (const device of data.devices) {
    const initSent = data.markers.filter((m) => m.kind === "DEV_INIT_DATA_SENT" && m.device === device.name).map((m) => m.t);
    parts.push(deviceRows(device, initSent, frame, y));
    y += 2 * ROW + ROW_GAP + DEVICE_GAP;
  }

  if (data.channels.length > 0) {
    const since = view.from > 0 ? `since ${formatMs(view.from)}` : "cumulative";
    parts.push(sectionHeading(`Bytes sent per channel (${since})`, y + 17));
    y += HEADING;
    parts.push(channelChart(data, frame, y));
    y += CHANNEL_CHART + 10;
  }

  if (data.pending.some((s) => s.t >= view.from && s.t <= view.to)) {
    parts.push(sectionHeading("Pending bytes and threshold (pre-copy)", y + 17));
    y += HEADING;
    parts.push(pendingChart(data, frame, y));
    y += PENDING_CHART + 10;
  }
  const plotBottom = y;

  const under = [grid(frame, plotTop, plotBottom), downtimeShade(data, frame, plotTop, plotBottom)];
  const over = [markerOverlay(labels.labels, plotBottom), axis(frame, plotBottom)];
  const height = plotBottom + AXIS;
  const clip = el("clipPath", { id: `${view.id}-plot` }, el("rect", { x: frame.left, y: 0, width: frame.right - frame.left, height }));
  return el(
    "svg",
    { xmlns: "http://www.w3.org/2000/svg", class: "timeline", viewBox: `0 0 ${view.width} ${round(height)}`, width: view.width, height: round(height), role: "img" },
    `<defs>${clip}</defs>${under.join("")}${parts.join("")}${over.join("")}`,
  );
}

function sectionHeading(text: string, baseline: number): string {
  return el("text", { x: 8, y: baseline, class: "section" }, escapeXml(text));
}

/** Consecutive state changes as [from, to) spans; the last one lasts until `end`. */
export function stateSpans(changes: readonly StateChange[], end: number): { from: number; to: number; state: StateChange["state"] }[] {
  return changes.map((change, i) => ({ from: change.t, to: i + 1 < changes.length ? changes[i + 1].t : Math.max(end, change.t), state: change.state }));
}

function deviceRows(device: ReportDevice, initSent: readonly number[], frame: Frame, top: number): string {
  const out: string[] = [];
  const end = frame.x.domain[1];
  const shown = device.name.length > NAME_CHARS ? `${device.name.slice(0, NAME_CHARS - 8)}…${device.name.slice(-7)}` : device.name;
  out.push(el("text", { x: 8, y: top + ROW + 2, class: "device" }, escapeXml(shown) + tooltip(device.name)));
  const rows: [string, readonly StateChange[]][] = [["src", device.source], ["dst", device.destination]];
  rows.forEach(([side, changes], r) => {
    const rowTop = top + r * (ROW + ROW_GAP);
    out.push(el("text", { x: frame.left - 8, y: rowTop + 13, class: "side", "text-anchor": "end" }, side));
    out.push(el("rect", { x: frame.left, y: rowTop, width: frame.right - frame.left, height: ROW, class: "lane" }));
    const bands: string[] = [];
    for (const span of stateSpans(changes, end)) {
      const x0 = Math.max(frame.left - 1, frame.x(span.from));
      const x1 = Math.min(frame.right + 1, frame.x(span.to));
      if (x1 <= x0) continue;
      const style = STATE_STYLES[span.state];
      const where = side === "src" ? "source" : "destination";
      const title = `${device.name} (${where}): ${span.state} from ${formatMs(span.from)} to ${formatMs(span.to)} (${formatMs(span.to - span.from)})`;
      bands.push(el("rect", { x: x0, y: rowTop, width: Math.max(0.8, x1 - x0), height: ROW, fill: style.fill, class: "band", "data-state": span.state }, tooltip(title)));
      if (x1 - x0 > span.state.length * CHAR_WIDTH + 8) {
        bands.push(el("text", { x: (x0 + x1) / 2, y: rowTop + 13, fill: style.text, class: "band-label", "text-anchor": "middle" }, span.state));
      }
    }
    out.push(el("g", { "clip-path": frame.clip }, bands.join("")));
  });
  out.push(...initSent.filter((t) => t >= frame.x.domain[0] && t <= frame.x.domain[1]).map((t) => initDataSentMark(device.name, frame.x(t), top + ROW / 2)));
  return out.join("");
}

/** DEV_INIT_DATA_SENT belongs to one device: a diamond on its source row. */
function initDataSentMark(device: string, cx: number, cy: number): string {
  const d = `M${round(cx)} ${round(cy - 7)}L${round(cx + 6)} ${round(cy)}L${round(cx)} ${round(cy + 7)}L${round(cx - 6)} ${round(cy)}Z`;
  const style = MARKER_STYLES.DEV_INIT_DATA_SENT;
  return el("path", { d, fill: style.color, stroke: "#ffffff", "stroke-width": 1.5, class: "marker marker-DEV_INIT_DATA_SENT" }, tooltip(`DEV_INIT_DATA_SENT ${device}`));
}

function grid(frame: Frame, top: number, bottom: number): string {
  const [from, to] = frame.x.domain;
  return niceTicks(from, to, 10)
    .map((t) => el("line", { x1: frame.x(t), x2: frame.x(t), y1: top, y2: bottom, class: "vgrid" }))
    .join("");
}

function axis(frame: Frame, top: number): string {
  const [from, to] = frame.x.domain;
  const ticks = niceTicks(from, to, 10)
    .map((t) => el("line", { x1: frame.x(t), x2: frame.x(t), y1: top, y2: top + 5, class: "axis" }) + el("text", { x: frame.x(t), y: top + 18, class: "tick", "text-anchor": "middle" }, escapeXml(formatMs(t))))
    .join("");
  return el("line", { x1: frame.left, x2: frame.right, y1: top, y2: top, class: "axis" }) + ticks;
}

