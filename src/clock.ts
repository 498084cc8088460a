// Time is an input: the engine, devices and transports read it only through a Clock they are given,
// so the same code runs on wall time, on a deterministic simulation's virtual time, and in the planner.

/** A timer a Clock started; pass it back to `clearTimeout`. */
export interface ClockTimer {
  readonly id: number;
}

/** The time source of a migration. All times are in milliseconds on the clock's own origin. */
export interface Clock {
  /** Monotonic milliseconds (fractions allowed). */
  now(): number;
  /** Runs `fn` once, `ms` from now (negative counts as 0). */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
  /** Resolves `ms` from now; rejects with `signal.reason` if the signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// Node clamps delays above 2^31-1 ms to 1 ms (TimeoutOverflowWarning); longer waits chain.
const MAX_TIMER_MS = 2 ** 31 - 1;

let nextRealId = 1;

/** Wall time: performance.now() and the host's timers. The default everywhere a clock is optional. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const timer: { id: number; handle?: ReturnType<typeof setTimeout> } = { id: nextRealId++ };
    const due = performance.now() + Math.max(0, ms);
    const fire = (): void => {
      realTimers.delete(timer.id);
      fn();
    };
    const arm = (): void => {
      const left = due - performance.now();
      timer.handle = setTimeout(left > MAX_TIMER_MS ? arm : fire, Math.min(Math.max(0, left), MAX_TIMER_MS));
    };
    arm();
    realTimers.set(timer.id, timer);
    return timer;
  },
  clearTimeout(timer) {
    const entry = realTimers.get(timer.id);
    if (entry?.handle !== undefined) clearTimeout(entry.handle);
    realTimers.delete(timer.id);
  },
  sleep: (ms, signal) => sleepOn(realClock, ms, signal),
};

const realTimers = new Map<number, { handle?: ReturnType<typeof setTimeout> }>();

/** `sleep` in terms of a clock's timers, shared by every Clock implementation. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
