// The timeline's line charts: cumulative bytes per channel and pending bytes against the threshold.
import { formatBytes, formatMs } from "./format.js";
import type { Frame } from "./frame.js";
import { PENDING_COLOR, THRESHOLD_COLOR, channelColor } from "./palette.js";
import { byteTicks, linearScale, type LinearScale } from "./scale.js";
import { el, escapeXml, pathOf, round, tooltip } from "./svg.js";
import type { ReportData } from "./types.js";

export const CHANNEL_CHART = 150;
export const PENDING_CHART = 120;

/** The samples that draw the view: those inside it plus one on each side, thinned to about 2 per pixel. */
function visibleSamples<T extends { t: number }>(samples: readonly T[], frame: Frame): T[] {
  const [from, to] = frame.x.domain;
  let first = samples.findIndex((s) => s.t >= from);
  if (first < 0) first = samples.length;
  let last = samples.length - 1;
  while (last >= 0 && samples[last].t > to) last--;
  const slice = samples.slice(Math.max(0, first - 1), Math.min(samples.length, last + 2));
  const budget = Math.max(2, Math.round((frame.right - frame.left) * 2));
  if (slice.length <= budget) return slice;
  const stride = slice.length / budget;
  const thinned: T[] = [];
  for (let i = 0; i < budget; i++) thinned.push(slice[Math.floor(i * stride)]);
  thinned.push(slice[slice.length - 1]);
  return thinned;
}

function yAxis(ticks: readonly number[], y: LinearScale, frame: Frame): string {
  return ticks
    .map((v) =>
      el("line", { x1: frame.left, x2: frame.right, y1: y(v), y2: y(v), class: "hgrid" }) +
      el("text", { x: frame.left - 8, y: y(v) + 4, class: "tick", "text-anchor": "end" }, escapeXml(formatBytes(v))),
    )
    .join("");
}

/** Bytes a channel had sent by time `t` (its last sample at or before `t`). */
function bytesAt(samples: readonly { t: number; bytes: number }[], t: number): number {
  let bytes = 0;
  for (const s of samples) {
    if (s.t > t) break;
    bytes = s.bytes;
  }
  return bytes;
}

/**
 * Cumulative bytes per channel. A view that starts later (the switchover zoom) counts from its own
 * start, so what each channel moved in that window is not flattened by what it sent before.
 */
export function channelChart(data: ReportData, frame: Frame, top: number): string {
  const from = frame.x.domain[0];
  const series = data.channels.map((channel) => {
    const base = from > 0 ? bytesAt(channel.samples, from) : 0;
    return visibleSamples(channel.samples, frame).map((s) => ({ t: s.t, bytes: Math.max(0, s.bytes - base) }));
  });
  const max = Math.max(1, ...series.flat().map((s) => s.bytes).filter(Number.isFinite));
  const ticks = byteTicks(max, 4);
  const y = linearScale([0, ticks[ticks.length - 1] || max], [top + CHANNEL_CHART, top]);
  const lines = series.map((samples, i) => {
    const channel = data.channels[i];
    const total = channel.samples.length ? channel.samples[channel.samples.length - 1].bytes : 0;
    // A step per completed write: bytes arrive when a write completes, not gradually in between.
    const d = pathOf(samples.flatMap((s, j) => (j === 0 ? [[frame.x(s.t), y(s.bytes)]] : [[frame.x(s.t), y(samples[j - 1].bytes)], [frame.x(s.t), y(s.bytes)]]) as [number, number][]));
    return el("path", { d, stroke: channelColor(i), class: "series", "data-channel": channel.name }, tooltip(`${channel.name}: ${formatBytes(total)} in all`));
  });
  const ends = endLabels(series.map((samples, i) => ({ text: data.channels[i].name, color: channelColor(i), y: samples.length ? y(samples[samples.length - 1].bytes) : y(0) })), frame, top, top + CHANNEL_CHART);
  return yAxis(ticks, y, frame) + el("g", { "clip-path": frame.clip }, lines.join("")) + ends;
}

/** Series names at the right edge, spread apart so none overlaps another. */
function endLabels(items: { text: string; color: string; y: number }[], frame: Frame, top: number, bottom: number): string {
  const gap = 15;
  const sorted = [...items].sort((a, b) => a.y - b.y);
  // Push down past the one above, then back up from the bottom edge if that ran out of room.
  sorted.forEach((item, i) => (item.y = Math.max(item.y, i > 0 ? sorted[i - 1].y + gap : top)));
  for (let i = sorted.length - 1; i >= 0; i--) sorted[i].y = Math.min(sorted[i].y, i + 1 < sorted.length ? sorted[i + 1].y - gap : bottom);
  return sorted.map((item) => el("text", { x: frame.right + 6, y: item.y + 4, fill: item.color, class: "end-label" }, escapeXml(item.text))).join("");
}

export function pendingChart(data: ReportData, frame: Frame, top: number): string {
  const samples = visibleSamples(data.pending, frame);
  const max = Math.max(1, ...samples.map((s) => Math.max(s.pendingBytes, s.thresholdBytes)));
  const ticks = byteTicks(max, 3);
  const y = linearScale([0, ticks[ticks.length - 1] || max], [top + PENDING_CHART, top]);
  // Step-after: each figure holds until the next check.
  const step = (value: (s: (typeof samples)[number]) => number) =>
    samples.flatMap((s, i) => {
      const next = i + 1 < samples.length ? samples[i + 1].t : s.t;
      return [[frame.x(s.t), y(value(s))], [frame.x(next), y(value(s))]] as [number, number][];
    });
  const pending = step((s) => s.pendingBytes);
  const area = pending.length ? `${pathOf(pending)}L${round(pending[pending.length - 1][0])} ${round(y(0))}L${round(pending[0][0])} ${round(y(0))}Z` : "";
  const checks = samples
    .map((s) => el("circle", { cx: frame.x(s.t), cy: y(s.pendingBytes), r: 2.2, fill: PENDING_COLOR }, tooltip(`${formatMs(s.t)}: pending ${formatBytes(s.pendingBytes)}, threshold ${formatBytes(s.thresholdBytes)}`)))
    .join("");
  const inner =
    el("path", { d: area, fill: PENDING_COLOR, "fill-opacity": 0.16, stroke: "none" }) +
    el("path", { d: pathOf(pending), stroke: PENDING_COLOR, class: "series pending" }) +
    el("path", { d: pathOf(step((s) => s.thresholdBytes)), stroke: THRESHOLD_COLOR, "stroke-dasharray": "6 4", class: "series threshold" }) +
    (samples.length <= 400 ? checks : "");
  const last = samples[samples.length - 1];
  const ends = last
    ? endLabels([{ text: "pending", color: PENDING_COLOR, y: y(last.pendingBytes) }, { text: "threshold", color: THRESHOLD_COLOR, y: y(last.thresholdBytes) }], frame, top, top + PENDING_CHART)
    : "";
  return yAxis(ticks, y, frame) + el("g", { "clip-path": frame.clip }, inner) + ends;
}

