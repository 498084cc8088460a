// Throughput bounds: a device that processes `bytesPerSecond` makes each read or write wait until
// the device would have finished it, on the device's clock.
import type { Clock } from "../../clock.js";

/** Idle time that counts as credit, so timer overshoot does not lower the average rate. */
const SLACK_MS = 5;

export class Pacer {
  private freeAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly bytesPerSecond: number,
  ) {}

  /** Forget earlier work (a new phase starts now). */
  restart(): void {
    this.freeAt = 0;
  }

  async consume(bytes: number): Promise<void> {
    const now = this.clock.now();
    this.freeAt = Math.max(this.freeAt, now - SLACK_MS) + (bytes * 1000) / this.bytesPerSecond;
    const wait = this.freeAt - now;
    // Timers cannot wait less than ~1 ms; smaller debts are carried to the next call.
    if (wait >= 1) await this.clock.sleep(wait);
  }
}
