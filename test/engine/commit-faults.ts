// Faults aimed at the commit protocol's messages, on the source's side of an in-memory network: the
// return path is cut into its messages, so a test can lose exactly the REPORT(loaded), the
// REPORT(completed) or the SHUT, and the main channel's COMMIT write can be lost or cut.
import { ChannelError } from "../../src/transport/errors.js";
import type { Channel, Dialer } from "../../src/transport/types.js";

/** `blackhole`: the bytes vanish and the connection stays up (a stall); `cut`: the connection resets there. */
export type FaultKind = "blackhole" | "cut";
export type ReturnPathPoint = "loaded" | "completed" | "shut";

export interface CommitFaults {
  /** Fault on the return path from this message on (it is not delivered). */
  returnPath?: { at: ReturnPathPoint; kind: FaultKind };
  /** Fault on the source's COMMIT write (it is not delivered). */
  commit?: FaultKind;
  /** The source's recovery dials fail (the destination is unreachable). */
  refuseRecovery?: boolean;
}

const COMMIT_BYTES = [0x08, 0x01, 0x00, 0x00, 0x00];
const REPORT = 0x0101;
const SHUT = 0x0001;

export function faultyDialer(inner: Dialer, faults: CommitFaults): Dialer {
  return {
    async dial(name, signal) {
      if (name === "recovery" && faults.refuseRecovery) throw new ChannelError("ERR_CHANNEL_REFUSED", name, "refused by the test");
      const channel = await inner.dial(name, signal);
      return name === "main" ? new FaultyMain(channel, faults) : channel;
    },
  };
}

class FaultyMain implements Channel {
  readonly #inner: Channel;
  readonly #faults: CommitFaults;
  /** Return-path bytes read from the inner channel and not yet handed out, whole messages only once checked. */
  #pending = new Uint8Array(0);
  #deliverable = 0;
  #blackholed = false;
  #failed: Error | undefined;
  #wakeBlackhole: ((err: Error) => void) | undefined;

  #resolveClosed!: () => void;
  /** A blackhole hides the far end's close too: only our own destroy closes the channel then. */
  readonly closed = new Promise<void>((resolve) => (this.#resolveClosed = resolve));

  constructor(inner: Channel, faults: CommitFaults) {
    this.#inner = inner;
    this.#faults = faults;
    void inner.closed.then(() => {
      if (!this.#blackholed) this.#resolveClosed();
    });
  }

  get name(): string {
    return this.#inner.name;
  }
  set name(value: string) {
    this.#inner.name = value;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const isCommit = bytes.length >= 5 && COMMIT_BYTES.every((b, i) => bytes[bytes.length - 5 + i] === b);
    if (isCommit && this.#faults.commit === "blackhole") return this.#inner.write(bytes.subarray(0, bytes.length - 5));
    if (isCommit && this.#faults.commit === "cut") {
      await this.#inner.write(bytes.subarray(0, bytes.length - 5));
      this.destroy(new ChannelError("ERR_CHANNEL_FAULT", this.name, "cut at COMMIT by the test"));
      throw this.#failed;
    }
    return this.#inner.write(bytes);
  }

  async read(target: Uint8Array): Promise<number> {
    for (;;) {
      // What arrived before a cut is still delivered, as a reset connection delivers what it received.
      if (this.#deliverable > 0) {
        const n = Math.min(target.length, this.#deliverable);
        target.set(this.#pending.subarray(0, n));
        this.#pending = this.#pending.subarray(n);
        this.#deliverable -= n;
        return n;
      }
      if (this.#failed) throw this.#failed;
      if (this.#blackholed) {
        await new Promise<never>((_, reject) => (this.#wakeBlackhole = reject));
      }
      const chunk = new Uint8Array(64 * 1024);
      const n = await this.#inner.read(chunk);
      if (n === 0) return 0;
      const joined = new Uint8Array(this.#pending.length + n);
      joined.set(this.#pending);
      joined.set(chunk.subarray(0, n), this.#pending.length);
      this.#pending = joined;
      this.#scan();
    }
  }

  /** Marks whole messages deliverable up to the faulted one. */
  #scan(): void {
    const bytes = this.#pending;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = this.#deliverable;
    while (at + 4 <= bytes.length) {
      const type = view.getUint16(at);
      const length = view.getUint16(at + 2);
      if (at + 4 + length > bytes.length) break;
      if (this.#isFaultPoint(type, bytes.subarray(at + 4, at + 4 + length))) {
        this.#pending = bytes.subarray(0, at);
        this.#deliverable = at;
        const fault = this.#faults.returnPath!.kind;
        if (fault === "cut") this.destroy(new ChannelError("ERR_CHANNEL_FAULT", this.name, "return path cut by the test"));
        else this.#blackholed = true;
        return;
      }
      at += 4 + length;
    }
    this.#deliverable = at;
  }

  #isFaultPoint(type: number, body: Uint8Array): boolean {
    const point = this.#faults.returnPath?.at;
    if (!point || this.#blackholed) return false;
    if (point === "shut") return type === SHUT;
    if (type !== REPORT) return false;
    return (JSON.parse(new TextDecoder().decode(body)) as { status: string }).status === point;
  }

  end(): Promise<void> {
    return this.#inner.end();
  }

  destroy(reason?: Error): void {
    this.#failed ??= reason ?? new ChannelError("ERR_CHANNEL_DESTROYED", this.name, "destroyed");
    this.#wakeBlackhole?.(this.#failed);
    this.#inner.destroy(reason);
    void this.#inner.closed.then(this.#resolveClosed);
  }
}
