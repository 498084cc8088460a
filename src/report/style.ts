// The report's stylesheet, inlined into the page so the file needs nothing else.
import { escapeXml } from "./svg.js";

export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5f6b7a; --line: #e3e7ee; --panel: #ffffff; --bg: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1168px; margin: 0 auto; padding: 20px 24px 40px; }
header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: 14px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 10px; color: var(--ink); }
.status { padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.status-completed { background: #dcfce7; color: #166534; }
.status-failed { background: #fee2e2; color: #991b1b; }
.status-cancelled { background: #fef3c7; color: #92400e; }
.error { flex-basis: 100%; margin: 4px 0 0; color: #991b1b; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 10px; margin-bottom: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.card-label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.card-value { font-size: 22px; font-weight: 650; margin-top: 2px; }
.card-note { color: var(--muted); font-size: 12px; }
.legend { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 8px 14px; margin-bottom: 12px; }
.legend-row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px; padding: 3px 0; }
.legend-row b { width: 64px; color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; }
.key { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; }
.swatch { display: inline-block; width: 22px; height: 12px; border-radius: 3px; }
.diamond { display: inline-block; width: 10px; height: 10px; transform: rotate(45deg); margin: 0 4px; }
.vline { display: inline-block; width: 2px; height: 16px; margin: 0 6px; }
.line { display: inline-block; width: 22px; height: 3px; border-radius: 2px; margin-right: 6px; vertical-align: middle; }
.dash { display: inline-block; width: 22px; height: 0; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin-bottom: 12px; overflow-x: auto; }
svg.timeline { display: block; width: 100%; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
svg .section { font-weight: 650; font-size: 13px; fill: var(--ink); paint-order: stroke; stroke: var(--panel); stroke-width: 4px; stroke-linejoin: round; }
svg .marker-label, svg .end-label { paint-order: stroke; stroke: var(--panel); stroke-width: 3px; stroke-linejoin: round; }
svg .p2p-mark { stroke: #1d2430; stroke-width: 0.6; }
svg .device { font-weight: 600; fill: var(--ink); }
svg .side, svg .tick { fill: var(--muted); font-size: 11px; }
svg .lane { fill: #f1f3f7; }
svg .band-label { font-size: 10.5px; font-weight: 600; pointer-events: none; }
svg .vgrid { stroke: #edf0f4; }
svg .hgrid { stroke: #edf0f4; }
svg .axis { stroke: #9aa3af; }
svg .series { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg .marker { stroke-width: 1.6; }
svg .marker-label { font-size: 11.5px; font-weight: 650; }
svg .end-label { font-size: 11.5px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 600; font-size: 12px; border-bottom: 1px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid #f0f2f5; padding: 6px 8px; vertical-align: middle; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
.ok { color: #166534; font-weight: 650; }
.bad { color: #b91c1c; font-weight: 700; }
`;

/** A self-contained report page: inline CSS, no script, no external request. */
export function reportPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
