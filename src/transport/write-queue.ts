interface PendingWrite {
  bytes: Uint8Array;
  offset: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * The send side of the credit-based transports (memory, MessagePort): writes wait here in call
 * order and go out in slices no larger than the window the peer allows (`allowance()`, bytes it
 * can still take). `send` must copy the slice: a write resolves once all of it went out, and the
 * caller may then reuse its buffer. Call `pump()` whenever the allowance grows.
 *
 * A slice shorter than `minSlice` goes out only when it finishes its write. Otherwise a reader that
 * frees the window a little at a time gets a message per little (TCP's silly window syndrome): a
 * worker thread reading a socket-bound channel turned 1 GiB into 125,000 messages of 8.6 KB.
 * `minSlice` must not exceed `maxSlice` nor the whole window, or a write would wait for room that
 * never comes.
 */
export class WriteQueue {
  private readonly queue: PendingWrite[] = [];
  private failure: Error | undefined;
  private drainWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** `send` may call back into `pump()` (a memory peer reading at once); the outer loop carries on. */
  private pumping = false;

  constructor(
    private readonly allowance: () => number,
    private readonly send: (slice: Uint8Array) => void,
    private readonly maxSlice: number,
    private readonly minSlice: number,
  ) {
    if (minSlice > maxSlice) throw new RangeError(`WriteQueue: minSlice ${minSlice} exceeds maxSlice ${maxSlice}`);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (bytes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, offset: 0, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once every queued write went out; rejects if the queue fails first. */
  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpQueued();
    } finally {
      this.pumping = false;
    }
  }

  private pumpQueued(): void {
    while (this.queue.length > 0 && !this.failure) {
      const head = this.queue[0];
      const left = head.bytes.length - head.offset;
      const n = Math.min(this.allowance(), this.maxSlice, left);
      if (n <= 0 || (n < this.minSlice && n < left)) return;
      this.send(head.bytes.subarray(head.offset, head.offset + n));
      head.offset += n;
      if (head.offset === head.bytes.length) {
        this.queue.shift();
        head.resolve();
      }
    }
    if (this.queue.length === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /** Rejects every pending and later write (and drain) with `err`. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.queue.splice(0)) w.reject(err);
    for (const w of this.drainWaiters.splice(0)) w.reject(err);
  }
}
