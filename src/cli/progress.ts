// A progress bar on stderr when it is a terminal (cli-progress); otherwise plain status lines on
// stderr (phase changes, and every few seconds while pre-copy iterates, with why it waits), so a log
// shows why a migration has not switched over. It never touches stdout, so it goes along with --json.
import cliProgress from "cli-progress";
import type { MigrationProgress } from "../engine/result.js";
import { formatBytes } from "../report/format.js";

export interface ProgressView {
  update(progress: MigrationProgress): void;
  stop(): void;
}

/** `total` is the bytes expected to move (for the bar's length); the bar shows phase and why it waits. */
export function progressView(total: number): ProgressView {
  if (!process.stderr.isTTY) return statusLines();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: " {phase} |{bar}| {sent} / {total_h}  {bw}/s  iter {iteration}  {note}",
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0, { phase: "setup", sent: "0 B", total_h: formatBytes(total), bw: "0 B", iteration: 0, note: "" });
  return {
    update(p) {
      const sent = p.bytes.main + p.bytes.multifd.reduce((a, b) => a + b, 0);
      bar.update(Math.min(sent, total), {
        phase: p.phase,
        sent: formatBytes(sent),
        bw: formatBytes(Math.round(p.bandwidth)),
        iteration: p.iteration,
        note: p.waitingForAck ? "waiting for switchover ack" : (p.notConverging ?? ""),
      });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Seconds between status lines while nothing but the iteration count changes. */
const STATUS_EVERY_MS = 2000;

function statusLines(): ProgressView {
  let phase = "";
  let lastAt = 0;
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === phase && now - lastAt < STATUS_EVERY_MS) return;
      phase = p.phase;
      lastAt = now;
      const sent = p.bytes.main + p.bytes.multifd.reduce((a, b) => a + b, 0);
      const why = p.waitingForAck ? "waiting for switchover ack" : (p.notConverging ?? "");
      const pending = p.phase === "active" ? `, pending ${formatBytes(p.pendingBytes)} vs threshold ${formatBytes(Math.round(p.thresholdBytes))}` : "";
      process.stderr.write(`vfio-migration: ${p.phase}, sent ${formatBytes(sent)}, iteration ${p.iteration}${pending}${why ? `: ${why}` : ""}\n`);
    },
    stop() {},
  };
}
