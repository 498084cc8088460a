// The report page: one self-contained HTML file (inline CSS and SVG, no script, no external request).
import { formatBytes, formatMs } from "./format.js";
import { DOWNTIME_EDGE, DOWNTIME_FILL, MARKER_STYLES, PENDING_COLOR, STATE_ORDER, STATE_STYLES, THRESHOLD_COLOR, channelColor } from "./palette.js";
import { el, escapeXml } from "./svg.js";
import { renderTimeline } from "./timeline.js";
import type { MarkerKind, ReportData, ReportDevice } from "./types.js";
import { reportPage } from "./style.js";

const WIDTH = 1120;
/** Below this share of the whole run the downtime window gets a zoomed timeline of its own. */
const ZOOM_BELOW = 0.2;

export function renderReport(data: ReportData): string {
  const title = data.title ?? "vfio-migration report";
  const duration = reportDuration(data);
  const body = [
    header(data, title),
    summaryCards(data),
    legend(data),
    el("section", { class: "panel" }, el("h2", {}, "Timeline") + renderTimeline(data, { id: "full", from: 0, to: duration, width: WIDTH })),
    zoomedSwitchover(data, duration),
    devicesTable(data),
    channelsTable(data),
    eventsTable(data),
  ].join("\n");
  return reportPage(title, body);
}

/** The end of the time axis: as given, or a little past the latest time the data mentions (so the last states show). */
export function reportDuration(data: ReportData): number {
  if (data.durationMs !== undefined && data.durationMs > 0) return data.durationMs;
  const times = [
    ...data.devices.flatMap((d) => [...d.source, ...d.destination].map((c) => c.t)),
    ...data.channels.flatMap((c) => c.samples.map((s) => s.t)),
    ...data.pending.map((s) => s.t),
    ...data.markers.map((m) => m.t),
    data.downtime?.endMs ?? 0,
    data.summary.totalMs ?? 0,
  ];
  return Math.max(1, ...times) * 1.02;
}

function header(data: ReportData, title: string): string {
  const status = data.summary.status;
  const error = data.summary.error ? el("p", { class: "error" }, `${escapeXml(data.summary.error.code)}: ${escapeXml(data.summary.error.message)}`) : "";
  return el("header", {}, el("h1", {}, escapeXml(title)) + el("span", { class: `status status-${status}` }, status) + error);
}

function card(label: string, value: string, note = ""): string {
  return el("div", { class: "card" }, el("div", { class: "card-label" }, escapeXml(label)) + el("div", { class: "card-value" }, escapeXml(value)) + (note ? el("div", { class: "card-note" }, escapeXml(note)) : ""));
}

function channelTotal(samples: ReportData["channels"][number]["samples"]): number {
  return samples.length ? samples[samples.length - 1].bytes : 0;
}

/** Only a completed migration promises equal states; after a failure the destination's is discarded. */
function digestsEqual(data: ReportData, device: ReportDevice): boolean | undefined {
  if (data.summary.status !== "completed" || !device.sourceDigest || !device.destinationDigest) return undefined;
  return device.sourceDigest === device.destinationDigest;
}

function summaryCards(data: ReportData): string {
  const s = data.summary;
  const cards: string[] = [];
  if (s.totalMs !== undefined) cards.push(card("Total", formatMs(s.totalMs)));
  if (s.downtimeMs !== undefined) cards.push(card("Downtime", formatMs(s.downtimeMs), "source VM stop → destination VM start"));
  if (s.setupMs !== undefined) cards.push(card("Setup", formatMs(s.setupMs)));
  const bytes = data.channels.reduce((sum, c) => sum + channelTotal(c.samples), 0);
  cards.push(card("Bytes sent", formatBytes(bytes), `${data.channels.length} channel${data.channels.length === 1 ? "" : "s"}`));
  const compared = data.devices.map((d) => digestsEqual(data, d)).filter((v) => v !== undefined);
  const equal = compared.filter(Boolean).length;
  const note = compared.length ? `${equal} of ${compared.length} digests equal` : data.summary.status === "completed" ? "no digests" : "digests not compared";
  cards.push(card("Devices", String(data.devices.length), note));
  for (const detail of s.details ?? []) cards.push(card(detail.label, detail.value));
  return el("section", { class: "cards" }, cards.join(""));
}

function legend(data: ReportData): string {
  const used = new Set(data.devices.flatMap((d) => [...d.source, ...d.destination].map((c) => c.state)));
  const states = STATE_ORDER.filter((s) => used.has(s)).map((s) => el("span", { class: "key" }, el("i", { class: "swatch", style: `background:${STATE_STYLES[s].fill}` }, "") + s));
  const kinds = new Set(data.markers.map((m) => m.kind));
  const markers = (Object.keys(MARKER_STYLES) as MarkerKind[])
    .filter((k) => kinds.has(k))
    .map((k) => {
      const style = MARKER_STYLES[k];
      const icon =
        k === "DEV_INIT_DATA_SENT"
          ? el("i", { class: "diamond", style: `background:${style.color}` }, "")
          : el("i", { class: "vline", style: `border-left:2px ${style.dash ? "dashed" : "solid"} ${style.color}` }, "");
      return el("span", { class: "key", title: style.description }, icon + escapeXml(style.label));
    });
  const other = [
    data.downtime ? el("span", { class: "key" }, el("i", { class: "swatch", style: `background:${DOWNTIME_FILL};border:1px solid ${DOWNTIME_EDGE}` }, "") + "downtime window") : "",
    ...data.channels.map((c, i) => el("span", { class: "key" }, el("i", { class: "line", style: `background:${channelColor(i)}` }, "") + escapeXml(c.name))),
    data.pending.length ? el("span", { class: "key" }, el("i", { class: "line", style: `background:${PENDING_COLOR}` }, "") + "pending") : "",
    data.pending.length ? el("span", { class: "key" }, el("i", { class: "dash", style: `border-top:2px dashed ${THRESHOLD_COLOR}` }, "") + "threshold") : "",
  ];
  const row = (name: string, keys: string[]) => (keys.some(Boolean) ? el("div", { class: "legend-row" }, el("b", {}, name) + keys.join("")) : "");
  return el("section", { class: "legend" }, row("States", states) + row("Markers", [...markers, other[0]]) + row("Series", other.slice(1)));
}

/** When the downtime is a sliver of the whole run, a second timeline around it shows what happened. */
function zoomedSwitchover(data: ReportData, duration: number): string {
  const window = data.downtime;
  if (!window || window.endMs - window.startMs >= duration * ZOOM_BELOW) return "";
  const pad = Math.max((window.endMs - window.startMs) * 0.25, duration * 0.002, 0.5);
  const from = Math.max(0, window.startMs - pad);
  const to = Math.min(duration, window.endMs + pad);
  return el("section", { class: "panel" }, el("h2", {}, `Switchover in detail (${escapeXml(formatMs(from))} – ${escapeXml(formatMs(to))})`) + renderTimeline(data, { id: "zoom", from, to, width: WIDTH }));
}

function table(caption: string, head: string[], rows: string[][], cls = ""): string {
  if (rows.length === 0) return "";
  const thead = el("tr", {}, head.map((h) => el("th", {}, escapeXml(h))).join(""));
  const tbody = rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c)).join(""))).join("");
  return el("section", { class: `panel ${cls}` }, el("h2", {}, escapeXml(caption)) + el("table", {}, `<thead>${thead}</thead><tbody>${tbody}</tbody>`));
}

function devicesTable(data: ReportData): string {
  const withBytes = data.devices.some((d) => d.bytes !== undefined);
  const rows = data.devices.map((d) => {
    const equal = digestsEqual(data, d);
    const verdict = equal === undefined ? "" : equal ? el("span", { class: "ok" }, "equal") : el("span", { class: "bad" }, "DIFFERENT");
    const last = (changes: ReportDevice["source"]) => (changes.length ? changes[changes.length - 1].state : "–");
    return [
      escapeXml(d.name),
      escapeXml(d.flags ?? ""),
      ...(withBytes ? [d.bytes === undefined ? "" : escapeXml(formatBytes(d.bytes))] : []),
      `${last(d.source)} → ${last(d.destination)}`,
      el("code", {}, escapeXml(d.sourceDigest ?? "")),
      el("code", {}, escapeXml(d.destinationDigest ?? "")),
      verdict,
    ];
  });
  const head = ["device", "flags", ...(withBytes ? ["bytes"] : []), "final state (src → dst)", "source digest", "destination digest", "digests"];
  return table("Devices", head, rows, "devices");
}

function channelsTable(data: ReportData): string {
  const rows = data.channels.map((c, i) => [el("i", { class: "line", style: `background:${channelColor(i)}` }, "") + escapeXml(c.name), escapeXml(formatBytes(channelTotal(c.samples)))]);
  return table("Channels", ["channel", "bytes sent"], rows, "channels");
}

function eventsTable(data: ReportData): string {
  const events = [...data.markers].sort((a, b) => a.t - b.t);
  const rows = events.map((m) => [escapeXml(formatMs(m.t)), escapeXml(MARKER_STYLES[m.kind].label), escapeXml(m.device ?? ""), escapeXml(MARKER_STYLES[m.kind].description)]);
  return table("Events", ["time", "event", "device", "meaning"], rows, "events");
}
