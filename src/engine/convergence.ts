import type { Clock, ClockTimer } from "../clock.js";
import { BANDWIDTH_PERIOD_MS } from "./options.js";

/**
 * QEMU's switchover test in `migration_iteration_run`: nothing pending, or strictly less than the
 * threshold (7.2 iterates while `pending_size && pending_size >= threshold_size`; 8.x switches when
 * `!pending_size || pending_size < threshold_size`). At pending == threshold it iterates once more.
 */
export function pendingFits(pending: number, thresholdBytes: number): boolean {
  return pending === 0 || pending < thresholdBytes;
}

/**
 * QEMU's `migration_update_counters`: every 100 ms, bandwidth = bytes sent in the window / its length,
 * and threshold = (switchover bandwidth if set, else measured bandwidth) x downtime limit. The
 * threshold starts at 0, as in `migrate_init`, until the first window has passed.
 */
export class ConvergenceMeter {
  readonly #downtimeLimitMs: number;
  readonly #switchoverBytesPerMs: number;
  #windowStart: number;
  #windowBytes = 0;
  /** bytes per ms */
  bandwidth = 0;
  thresholdBytes = 0;

  constructor(downtimeLimitMs: number, switchoverBandwidth: number | undefined, now: number) {
    this.#downtimeLimitMs = downtimeLimitMs;
    this.#switchoverBytesPerMs = (switchoverBandwidth ?? 0) / 1000;
    this.#windowStart = now;
  }

  sent(bytes: number): void {
    this.#windowBytes += bytes;
  }

  /** Recomputes the figures if a window has passed; true when it did. */
  update(now: number): boolean {
    const spent = now - this.#windowStart;
    if (spent < BANDWIDTH_PERIOD_MS) return false;
    this.bandwidth = this.#windowBytes / spent;
    this.thresholdBytes = (this.#switchoverBytesPerMs || this.bandwidth) * this.#downtimeLimitMs;
    this.#windowStart = now;
    this.#windowBytes = 0;
    return true;
  }

  /** The bandwidth the threshold uses, bytes per ms. */
  get expectedBytesPerMs(): number {
    return this.#switchoverBytesPerMs || this.bandwidth;
  }
}

/**
 * QEMU's max-bandwidth rate limit: at most bandwidth/10 bytes per 100 ms window in pre-copy;
 * `migration_rate_limit` waits for the window to end once it is used up. 0 = unlimited.
 */
export class RateLimiter {
  #perWindow: number;
  #windowStart: number;
  #used = 0;

  constructor(bytesPerSecond: number, now: number) {
    this.#perWindow = bytesPerSecond > 0 ? (bytesPerSecond * BANDWIDTH_PERIOD_MS) / 1000 : Infinity;
    this.#windowStart = now;
  }

  sent(bytes: number): void {
    this.#used += bytes;
  }

  /** Lifts the limit (QEMU: RATE_LIMIT_DISABLED at switchover). */
  disable(): void {
    this.#perWindow = Infinity;
  }

  /** Milliseconds to wait before sending more; 0 when the window has room. */
  delayMs(now: number): number {
    if (now - this.#windowStart >= BANDWIDTH_PERIOD_MS) {
      this.#windowStart = now;
      this.#used = 0;
    }
    return this.#used < this.#perWindow ? 0 : this.#windowStart + BANDWIDTH_PERIOD_MS - now;
  }
}

/** A sleep that an event (an ACK, switchover-now, cancel) can cut short. */
export class Waker {
  readonly #clock: Clock;
  #wake: (() => void) | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  wake(): void {
    this.#wake?.();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const self = this;
      const timer: ClockTimer = this.#clock.setTimeout(done, ms);
      function done(): void {
        self.#clock.clearTimeout(timer);
        if (self.#wake === done) self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }
}
