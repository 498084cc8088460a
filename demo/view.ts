// The demo page's live view: per side the phase, a progress bar and a few figures.
import type { MigrationProgress } from "../src/engine/index.js";
import { formatBytes, formatMs } from "../src/report/format.js";
function part(side: MigrationProgress["side"], selector: string): HTMLElement {
  return document.querySelector<HTMLElement>(`#${side} ${selector}`)!;
}

export function showSettings(search: URLSearchParams, defaults: Record<string, string>): void {
  const shown = { ...defaults, ...Object.fromEntries(search) };
  const box = document.getElementById("settings")!;
  box.replaceChildren(
    ...Object.entries(shown).map(([name, value]) => {
      const item = document.createElement("span");
      item.append(`--${name} `);
      const b = document.createElement("b");
      b.textContent = value;
      item.append(b);
      return item;
    }),
  );
}

/** `total`: the bytes the source expects to send (the bar's full length). */
export function showProgress(p: MigrationProgress, total: number): void {
  const bytes = p.bytes.main + p.bytes.multifd.reduce((a, b) => a + b, 0);
  const phase = part(p.side, ".phase");
  phase.textContent = p.phase;
  phase.className = `phase ${p.phase}`;
  const bar = part(p.side, "progress") as HTMLProgressElement;
  bar.max = Math.max(1, total);
  bar.value = Math.min(bytes, bar.max);
  const figures = [`${formatBytes(bytes)} ${p.side === "source" ? "sent" : "received"}`];
  if (p.side === "source" && p.phase === "active") {
    figures.push(`pending ${formatBytes(p.pendingBytes)} / threshold ${formatBytes(p.thresholdBytes)}`);
    if (Number.isFinite(p.expectedDowntimeMs)) figures.push(`expected downtime ${formatMs(p.expectedDowntimeMs)}`);
    if (p.waitingForAck) figures.push("waiting for switchover ack");
  }
  part(p.side, ".figures").textContent = figures.join(" · ");
}

export function showOutcome(ok: boolean, text: string): void {
  const box = document.getElementById("outcome")!;
  box.hidden = false;
  box.className = `panel ${ok ? "ok" : "bad"}`;
  box.textContent = text;
}

/** The `--json` result: the element gets its final id only now, so `#result` means "finished". */
export function showResult(json: unknown): void {
  const pre = document.getElementById("result-pending")!;
  pre.textContent = JSON.stringify(json, null, 2);
  pre.id = "result";
}

/** The report page in an iframe (its styles stay its own), as tall as its content. */
export function showReport(html: string): void {
  const frame = document.getElementById("report") as HTMLIFrameElement;
  frame.onload = () => (frame.style.height = `${frame.contentDocument!.documentElement.scrollHeight}px`);
  frame.srcdoc = html;
}

/** A side's final state: the engine's last progress event may precede the end. */
export function showDone(side: MigrationProgress["side"], status: string, bytes: MigrationProgress["bytes"]): void {
  const phase = part(side, ".phase");
  phase.textContent = status;
  phase.className = `phase ${status}`;
  const bar = part(side, "progress") as HTMLProgressElement;
  bar.value = bar.max;
  const total = bytes.main + bytes.multifd.reduce((a, b) => a + b, 0);
  part(side, ".figures").textContent = `${formatBytes(total)} ${side === "source" ? "sent" : "received"} (main ${formatBytes(bytes.main)}, multifd ${bytes.multifd.map(formatBytes).join(" + ") || "none"})`;
}
