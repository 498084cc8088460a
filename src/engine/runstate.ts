/**
 * The VM run state with QEMU's two-pass change notification (system/runstate.c `vm_state_notify`):
 * every `prepare` callback runs before any main `change` callback, in list order on start and in
 * reverse list order on stop. P2P devices register a prepare callback that makes them quiescent
 * (…_P2P states), so no device stops or starts while a peer may still DMA into it.
 */

/** Why the VM stops: for migration (FINISH_MIGRATE) or a user pause (PAUSED); both send pre-copy devices to STOP_COPY. */
export type StopReason = "finish-migrate" | "paused";

export interface VmStateChangeHandler {
  /** Runs in the first pass (P2P devices only in QEMU). */
  prepare?(running: boolean, reason?: StopReason): Promise<void>;
  /** Runs in the second pass. */
  change(running: boolean, reason?: StopReason): Promise<void>;
}

export interface VmRunStateOptions {
  /** Whether the VM runs at first (default true). */
  running?: boolean;
  /**
   * TEST ONLY: skips the prepare pass, which loses in-flight P2P writes. Exists so a test can show
   * that the two-pass order is what prevents the loss.
   */
  unsafeSkipPreparePass?: boolean;
}

export class VmRunState {
  #running: boolean;
  readonly #handlers: VmStateChangeHandler[] = [];
  readonly #skipPrepare: boolean;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(options: VmRunStateOptions = {}) {
    this.#running = options.running ?? true;
    this.#skipPrepare = options.unsafeSkipPreparePass ?? false;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Registers a handler; returns a function that removes it. */
  addHandler(handler: VmStateChangeHandler): () => void {
    this.#handlers.push(handler);
    return () => {
      const at = this.#handlers.indexOf(handler);
      if (at >= 0) this.#handlers.splice(at, 1);
    };
  }

  /**
   * Runs `work` while no run-state change is under way, and holds changes off until it is done: the
   * role of QEMU's big lock between the migration thread's device calls and a VM stop or start.
   * Not reentrant: `work` must not stop or start the VM.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(work);
    this.#lock = result.catch(() => {});
    return result;
  }

  /** Stops the VM. Every callback runs even if one fails (QEMU cannot abort vm_state_notify); the first error is thrown. */
  stop(reason: StopReason = "paused"): Promise<void> {
    return this.exclusive(async () => {
      if (!this.#running) return;
      this.#running = false;
      await this.#notify(false, reason, [...this.#handlers].reverse());
    });
  }

  /** Starts the VM (prepare pass, then main pass, in list order). */
  start(): Promise<void> {
    return this.exclusive(async () => {
      if (this.#running) return;
      this.#running = true;
      await this.#notify(true, undefined, [...this.#handlers]);
    });
  }

  async #notify(running: boolean, reason: StopReason | undefined, handlers: VmStateChangeHandler[]): Promise<void> {
    let first: unknown;
    if (!this.#skipPrepare) {
      const failed: VmStateChangeHandler[] = [];
      for (const handler of handlers) {
        try {
          await handler.prepare?.(running, reason);
        } catch (err) {
          first ??= err;
          failed.push(handler);
        }
      }
      // A handler whose prepare failed (its device recovered to the state it left) gets one more
      // try before any main callback: otherwise a peer stops or starts while that device still
      // issues DMA or cannot take it, and P2P writes are lost (DST seeds 1562, 51329, 51965).
      // The first error is still thrown: the change did not go as asked.
      for (const handler of failed) await handler.prepare?.(running, reason).catch(() => {});
    }
    for (const handler of handlers) {
      try {
        await handler.change(running, reason);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}
