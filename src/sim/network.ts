// A seeded network over in-memory channels for deterministic simulation: every channel is a memory
// pair whose two directions are shaped links (latency, jitter, bandwidth, a cut, a corrupted byte,
// a stall) on the simulation's clock, channels may connect late, and either side may crash.
import type { Clock } from "../clock.js";
import { AcceptQueue } from "../transport/accept-queue.js";
import { ChannelError, abortedError } from "../transport/errors.js";
import { memoryPair } from "../transport/memory.js";
import { shapeChannel, type LinkShape } from "../transport/shaped.js";
import type { Acceptor, Channel, Dialer } from "../transport/types.js";

/** `forward`: dialer to acceptor (source to destination); `back`: the return direction. */
export type Direction = "forward" | "back";
export type Side = "source" | "destination";

/** One direction of one channel: a shaped link without its clock and random source (the network's). */
export type LinkSpec = Omit<LinkShape, "clock" | "random">;

export interface SimulatedNetworkOptions {
  clock: Clock;
  /** Uniform [0, 1) numbers for jitter; pass a seeded generator. */
  random: () => number;
  /** How each direction of the channel named `name` behaves; default a plain link. */
  link?: (name: string, direction: Direction) => LinkSpec;
  /** How long dialing the channel named `name` takes before the acceptor sees it; default 0. */
  connectDelayMs?: (name: string) => number;
  /** Bytes each memory pair buffers per direction (default 256 KiB). */
  capacity?: number;
}

/** A channel as both ends hold it. */
export interface SimulatedChannel {
  readonly name: string;
  readonly dialed: Channel;
  readonly accepted: Channel;
}

/** What a crash did: the instant (on the network's clock) and the side. */
export interface Crash {
  side: Side;
  at: number;
}

export class SimulatedNetwork {
  readonly dialer: Dialer;
  readonly acceptor: Acceptor;
  /** Every channel connected so far, in connection order. */
  readonly channels: SimulatedChannel[] = [];
  #crash: Crash | undefined;
  readonly #queue = new AcceptQueue("sim");
  readonly #options: SimulatedNetworkOptions;

  constructor(options: SimulatedNetworkOptions) {
    this.#options = options;
    this.dialer = { dial: (name, signal) => this.#dial(name, signal) };
    this.acceptor = {
      accept: (signal) => this.#queue.accept(signal),
      close: async () => this.#queue.close(),
    };
  }

  get crashed(): Crash | undefined {
    return this.#crash;
  }

  /**
   * The `side` process dies now: each of its channel ends is torn down (its peer sees a reset after
   * what was already sent), and it neither dials nor accepts again.
   */
  crash(side: Side): void {
    if (this.#crash) return;
    this.#crash = { side, at: this.#options.clock.now() };
    for (const c of this.channels) (side === "source" ? c.dialed : c.accepted).destroy(this.#crashError(c.name));
    if (side === "destination") this.#queue.close();
  }

  async #dial(name: string, signal?: AbortSignal): Promise<Channel> {
    const { clock, random, link, connectDelayMs } = this.#options;
    if (signal?.aborted) throw abortedError(name, signal);
    const delay = connectDelayMs?.(name) ?? 0;
    if (delay > 0) {
      try {
        await clock.sleep(delay, signal);
      } catch {
        throw abortedError(name, signal!);
      }
    }
    if (this.#crash) throw new ChannelError("ERR_CHANNEL_REFUSED", name, `the ${this.#crash.side} crashed`);
    const [local, remote] = memoryPair({ capacity: this.#options.capacity ?? 256 * 1024, names: [name, name] });
    const shape = (direction: Direction): LinkShape => ({ ...link?.(name, direction), clock, random });
    const dialed = shapeChannel(local, shape("forward"));
    const accepted = shapeChannel(remote, shape("back"));
    if (!this.#queue.offer(accepted)) {
      dialed.destroy();
      throw new ChannelError("ERR_CHANNEL_REFUSED", name, "simulated acceptor is closed or its backlog is full");
    }
    this.channels.push({ name, dialed, accepted });
    return dialed;
  }

  #crashError(name: string): ChannelError {
    return new ChannelError("ERR_CHANNEL_FAULT", name, `injected fault: the ${this.#crash!.side} crashed`);
  }
}
