/**
 * A broadcast wake-up: `wait()` resolves on the next `notify()`. Waiters re-check their own condition
 * after waking, so one primitive serves every "wait until something changed" in the data path.
 */
export class Wakeup {
  private waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    if (this.waiters.length === 0) return;
    const woken = this.waiters;
    this.waiters = [];
    for (const resolve of woken) resolve();
  }
}
