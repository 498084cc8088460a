// `simulate --timeout`: a simulator needs an end even when a migration cannot converge (QEMU would iterate forever).
import type { MigrationProgress } from "../engine/result.js";
import type { CliReport } from "../report/result.js";

export class Deadline {
  #expired = false;
  #last: MigrationProgress | undefined;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(
    readonly ms: number,
    onExpiry: () => void,
  ) {
    this.#timer = setTimeout(() => {
      this.#expired = true;
      onExpiry();
    }, ms);
  }

  /** Keeps the latest progress before the end, to say why the run had not ended. */
  progress(p: MigrationProgress): void {
    if (p.phase !== "cancelled" && p.phase !== "failed") this.#last = p;
  }

  clear(): void {
    clearTimeout(this.#timer);
  }

  /** The report as is, or, when the deadline stopped the run, failed with ERR_SIMULATE_TIMEOUT and the reason. */
  verdict(report: CliReport): CliReport {
    if (!this.#expired || report.status === "completed") return report;
    const last = this.#last;
    const message =
      last?.phase === "active"
        ? `main: did not converge within ${this.ms} ms (pre-copy iteration ${last.iteration}: ${last.waitingForAck ? "waiting for switchover ack" : (last.notConverging ?? "pending bytes above the threshold")})`
        : `main: did not complete within ${this.ms} ms (phase ${last?.phase ?? "setup"})`;
    return { ...report, status: "failed", error: { code: "ERR_SIMULATE_TIMEOUT", message } };
  }
}
