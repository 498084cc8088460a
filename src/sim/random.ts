// A small seeded generator (mulberry32): the same seed always draws the same numbers, on every
// platform, which is all a deterministic simulation needs from randomness.

export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A size spread evenly over orders of magnitude in [min, max] (small and large both common). */
  logInt(min: number, max: number): number {
    return Math.min(max, Math.floor(min * (max / min) ** this.next()));
  }

  /** A generator for a sub-purpose whose draws do not shift when other draws are added. */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}
