// Virtual time for deterministic simulation: time stands still until the driver advances it, and
// timers fire one at a time in (due time, creation) order, each after every pending promise job has
// run, the way a real event loop runs one macrotask and then drains its microtasks.
import { sleepOn, type Clock, type ClockTimer } from "./clock.js";

interface Timer extends ClockTimer {
  readonly due: number;
  readonly fn: () => void;
}

/** What `run` stopped on: its target settled, no timer was left to fire, the time limit, or the step limit. */
export type RunOutcome = "settled" | "idle" | "limit" | "steps";

// The smallest double above the finite `t`: the earliest instant after `t` there is.
const bits = new Float64Array(1);
const word = new BigUint64Array(bits.buffer);
function nextAfter(t: number): number {
  if (t === 0) return Number.MIN_VALUE;
  bits[0] = t;
  word[0] += t > 0 ? 1n : -1n; // a negative double's magnitude shrinks toward zero
  return bits[0];
}

// Captured once, so a test that replaces the host's timers (to prove nothing reads wall time)
// still lets the clock yield. A host macrotask runs only after every queued promise job.
const hostYield: () => Promise<void> = (() => {
  const immediate = globalThis.setImmediate;
  if (typeof immediate === "function") return () => new Promise<void>((resolve) => immediate(resolve));
  // Browsers: a message to ourselves is a macrotask too (made on first use, not at import).
  let channel: MessageChannel | undefined;
  const waiting: Array<() => void> = [];
  return () =>
    new Promise<void>((resolve) => {
      if (!channel) {
        channel = new MessageChannel();
        channel.port1.onmessage = () => waiting.shift()?.();
      }
      waiting.push(resolve);
      channel.port2.postMessage(0);
    });
})();

/** A deterministic Clock: `now()` moves only when the driver fires a timer or advances. */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 1;
  #steps = 0;
  // A binary min-heap on (due, id); ids grow, so ties fire in creation order.
  readonly #heap: Timer[] = [];
  readonly #live = new Set<number>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const delay = Math.max(0, Number.isNaN(ms) ? 0 : ms);
    let due = this.#now + delay;
    // A positive delay smaller than the float spacing at `now` would round to `now`: time would
    // stand still while a loop that waits out a remainder (now - start >= ms, rounded the other
    // way) re-arms forever. A host timer with a positive delay fires later; so does this one.
    if (delay > 0 && due <= this.#now && due !== Infinity) due = nextAfter(this.#now);
    const timer: Timer = { id: this.#nextId++, due, fn };
    this.#live.add(timer.id);
    this.#push(timer);
    return timer;
  }

  clearTimeout(timer: ClockTimer): void {
    // Lazy removal: a cleared timer stays in the heap and is skipped when it comes up.
    this.#live.delete(timer.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers fired so far. */
  get steps(): number {
    return this.#steps;
  }

  /** Timers started and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.#live.size;
  }

  /** Due time of the next timer, or undefined when none is pending. */
  get nextDue(): number | undefined {
    this.#dropCleared();
    return this.#heap[0]?.due;
  }

  /** Lets every queued promise job run (and the jobs those queue), without moving time. */
  settle(): Promise<void> {
    return hostYield();
  }

  /** Settles, then fires the next timer, moving `now()` to its due time. False when none is pending. */
  async step(): Promise<boolean> {
    await this.settle();
    this.#dropCleared();
    const timer = this.#pop();
    if (!timer) return false;
    this.#live.delete(timer.id);
    this.#steps++;
    if (timer.due > this.#now) this.#now = timer.due;
    timer.fn();
    return true;
  }

  /** Fires every timer due within `ms` from now, in order, then leaves `now()` at now + ms. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + Math.max(0, ms);
    for (;;) {
      await this.settle();
      const due = this.nextDue;
      if (due === undefined || due > until) break;
      await this.step();
    }
    this.#now = Math.max(this.#now, until);
  }

  /**
   * Fires timers until `target` settles ("settled"), no timer is left while it has not ("idle":
   * nothing could ever settle it), the next timer lies beyond `limitMs` from the start ("limit"),
   * or `maxSteps` timers have fired ("steps": a loop that keeps re-arming timers, possibly while
   * time stands still, which the time limit alone would never stop).
   */
  async run(target: Promise<unknown>, limitMs = Infinity, maxSteps = Infinity): Promise<RunOutcome> {
    let settled = false;
    target.then(
      () => (settled = true),
      () => (settled = true),
    );
    const until = this.#now + limitMs;
    const stepsBefore = this.#steps;
    for (;;) {
      await this.settle();
      if (settled) return "settled";
      const due = this.nextDue;
      if (due === undefined) return "idle";
      if (due > until) return "limit";
      if (this.#steps - stepsBefore >= maxSteps) return "steps";
      await this.step();
    }
  }

  #dropCleared(): void {
    while (this.#heap.length > 0 && !this.#live.has(this.#heap[0].id)) this.#pop();
  }

  #before(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.id < b.id);
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  #pop(): Timer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#before(heap[l], heap[m])) m = l;
        if (r < heap.length && this.#before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}
