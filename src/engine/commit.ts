// The commit protocol's two halves beyond the main channel (docs/reliability.md): the destination's
// single decision, and the source's bounded attempt to learn it after losing the connection.
import {
  decodeRecoveryAnswer,
  decodeRecoveryQuery,
  encodeRecoveryAnswer,
  encodeRecoveryQuery,
  RECOVERY_ANSWER_BYTES,
  RECOVERY_QUERY_BYTES,
  RecoveryOutcome,
} from "../codec/index.js";
import type { Clock } from "../clock.js";
import type { Acceptor, Channel, Dialer } from "../transport/types.js";
import { readExactly } from "./multifd-channels.js";

/** What became of a loaded destination: its VM runs, or it discarded the state for good. */
export type CommitOutcome = "started" | "aborted";

/**
 * The destination's decision, taken exactly once: the first COMMIT (on the main channel, or a
 * recovery query, which only a committed source sends) starts the VM; `abort()` before that
 * discards. Whatever comes later gets the same answer, so the source and the destination can
 * never disagree about who runs the VM.
 */
export class CommitDesk {
  readonly #start: () => Promise<boolean>;
  #outcome: Promise<CommitOutcome> | undefined;
  #settle!: (outcome: CommitOutcome) => void;
  /** Settles once the decision is final (after the VM start, if it was a commit). */
  readonly decided = new Promise<CommitOutcome>((resolve) => (this.#settle = resolve));
  /** How the commit arrived, once it did. */
  via: "main" | "recovery" | undefined;

  /** `start` starts the VM and says whether it runs (false: it failed and was stopped again). */
  constructor(start: () => Promise<boolean>) {
    this.#start = start;
  }

  commit(via: "main" | "recovery"): Promise<CommitOutcome> {
    if (!this.#outcome) {
      this.via = via;
      this.#outcome = this.#start().then(
        (ok) => (ok ? "started" : "aborted"),
        () => "aborted" as const,
      );
      void this.#outcome.then(this.#settle);
    }
    return this.#outcome;
  }

  /** Discards, unless a commit came first. */
  abort(): Promise<CommitOutcome> {
    if (!this.#outcome) {
      this.#outcome = Promise.resolve("aborted");
      this.#settle("aborted");
    }
    return this.#outcome;
  }

  /**
   * Answers recovery queries for migration `uuid` arriving on `acceptor` until `signal` aborts. A
   * connection that is not a query for us, or not complete within `queryTimeoutMs`, is dropped.
   */
  async serve(acceptor: Acceptor, uuid: Uint8Array, clock: Clock, queryTimeoutMs: number, signal: AbortSignal): Promise<void> {
    const answering = new Set<Promise<void>>();
    for (;;) {
      let channel: Channel;
      try {
        channel = await acceptor.accept(signal);
      } catch {
        break; // stopped, or the acceptor closed
      }
      const answer = this.#answer(channel, uuid, clock, queryTimeoutMs, signal).finally(() => answering.delete(answer));
      answering.add(answer);
    }
    await Promise.all(answering);
  }

  async #answer(channel: Channel, uuid: Uint8Array, clock: Clock, timeoutMs: number, signal: AbortSignal): Promise<void> {
    channel.name = "recovery";
    const drop = (): void => channel.destroy();
    const timer = clock.setTimeout(drop, timeoutMs);
    signal.addEventListener("abort", drop, { once: true });
    try {
      const query = new Uint8Array(RECOVERY_QUERY_BYTES);
      await readExactly(channel, query, "recovery query");
      const asked = decodeRecoveryQuery(query, channel.name);
      const ours = asked.every((b, i) => b === uuid[i]);
      const outcome = ours ? await this.commit("recovery") : undefined;
      await channel.write(encodeRecoveryAnswer(outcome === "started" ? RecoveryOutcome.STARTED : outcome === "aborted" ? RecoveryOutcome.ABORTED : RecoveryOutcome.UNKNOWN));
      await channel.end();
      await channel.closed;
    } catch {
      // A broken or foreign connection: the source asks again on a new one.
    } finally {
      clock.clearTimeout(timer);
      signal.removeEventListener("abort", drop);
      channel.destroy();
    }
  }
}

/** Pause between recovery attempts, doubling up to the maximum. */
const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;

/**
 * The committed source's question: dials `recovery` again and again until the destination answers
 * STARTED or ABORTED, for at most `timeoutMs` (or until `signal` aborts). Undefined: nobody could say.
 */
export async function learnOutcome(dialer: Dialer, uuid: Uint8Array, clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<CommitOutcome | undefined> {
  const deadline = clock.now() + timeoutMs;
  for (let retry = FIRST_RETRY_MS; clock.now() < deadline && !signal?.aborted; retry = Math.min(2 * retry, MAX_RETRY_MS)) {
    const outcome = await askOnce(dialer, uuid, clock, deadline - clock.now(), signal);
    if (outcome !== undefined) return outcome;
    const pause = Math.min(retry, deadline - clock.now());
    if (pause > 0) await clock.sleep(pause, signal).catch(() => {});
  }
  return undefined;
}

async function askOnce(dialer: Dialer, uuid: Uint8Array, clock: Clock, timeoutMs: number, signal: AbortSignal | undefined): Promise<CommitOutcome | undefined> {
  const attempt = new AbortController();
  let channel: Channel | undefined;
  const stop = (): void => {
    attempt.abort();
    channel?.destroy();
  };
  const timer = clock.setTimeout(stop, timeoutMs);
  signal?.addEventListener("abort", stop, { once: true });
  try {
    const dialing = dialer.dial("recovery", attempt.signal);
    dialing.then((c) => attempt.signal.aborted && c.destroy(), () => {});
    channel = await dialing;
    channel.name = "recovery";
    await channel.write(encodeRecoveryQuery(uuid));
    const answer = new Uint8Array(RECOVERY_ANSWER_BYTES);
    await readExactly(channel, answer, "recovery answer");
    const outcome = decodeRecoveryAnswer(answer, channel.name);
    return outcome === RecoveryOutcome.STARTED ? "started" : outcome === RecoveryOutcome.ABORTED ? "aborted" : undefined;
  } catch {
    return undefined;
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener("abort", stop);
    channel?.destroy();
    await channel?.closed;
  }
}
