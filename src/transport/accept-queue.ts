import type { Channel } from "./types.js";
import { ChannelError, abortedError } from "./errors.js";

/**
 * Incoming channels waiting for `accept()`, shared by every acceptor. The backlog is bounded: a
 * channel that arrives when it is full (or after `close()`) is refused (`offer` returns false and
 * the caller destroys it), so a flood of dials cannot grow memory.
 */
export class AcceptQueue {
  /** Channels, and refusals (a TLS peer without a valid certificate) that the next accept() reports. */
  private readonly ready: Array<Channel | Error> = [];
  private readonly waiters: Array<{ resolve: (c: Channel) => void; reject: (e: Error) => void }> = [];
  private closedFlag = false;

  constructor(
    private readonly name: string,
    private readonly backlog = 64,
  ) {}

  get isClosed(): boolean {
    return this.closedFlag;
  }

  offer(channel: Channel): boolean {
    if (this.closedFlag) return false;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(channel);
      return true;
    }
    if (this.ready.length >= this.backlog) return false;
    this.ready.push(channel);
    return true;
  }

  /** Reports a refused peer to the next accept(); dropped when the backlog is full (a flood of bad peers). */
  refuse(err: Error): void {
    if (this.closedFlag) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.reject(err);
    else if (this.ready.length < this.backlog) this.ready.push(err);
  }

  accept(signal?: AbortSignal): Promise<Channel> {
    if (signal?.aborted) return Promise.reject(abortedError(this.name, signal));
    const next = this.ready.shift();
    if (next instanceof Error) return Promise.reject(next);
    if (next) return Promise.resolve(next);
    if (this.closedFlag) return Promise.reject(this.closedError());
    return new Promise<Channel>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortedError(this.name, signal!));
      };
      const waiter = {
        resolve: (c: Channel) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(c);
        },
        reject: (e: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Rejects pending accepts and destroys channels nobody accepted. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const w of this.waiters.splice(0)) w.reject(this.closedError());
    for (const c of this.ready.splice(0)) if (!(c instanceof Error)) c.destroy(new ChannelError("ERR_ACCEPTOR_CLOSED", c.name, "acceptor closed before the channel was accepted"));
  }

  private closedError(): ChannelError {
    return new ChannelError("ERR_ACCEPTOR_CLOSED", this.name, "acceptor is closed");
  }
}
