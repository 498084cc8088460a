// Bytes over time per channel, for the report: a Dialer wrapper that notes every completed write.
import type { Channel, Dialer } from "../transport/types.js";
import type { ReportChannel } from "./types.js";

/** Writes closer together than this share one sample (the chart cannot show finer detail anyway). */
const SAMPLE_SPACING_MS = 1;

interface Metered {
  readonly channel: Channel;
  readonly samples: { t: number; bytes: number }[];
  bytes: number;
}

/**
 * Wraps a Dialer so each channel it opens counts the bytes written through it, with the time
 * (`clock()`, ms) each write completed. It observes only: bytes, order and backpressure are unchanged.
 */
export class ChannelMeter {
  readonly #clock: () => number;
  readonly #metered: Metered[] = [];

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  wrap(dialer: Dialer): Dialer {
    return {
      dial: async (name, signal) => {
        const channel = await dialer.dial(name, signal);
        const metered: Metered = { channel, samples: [{ t: this.#clock(), bytes: 0 }], bytes: 0 };
        this.#metered.push(metered);
        return this.#observe(metered);
      },
    };
  }

  /** One series per channel, named by the channel's current name (channels may be renamed once identified). */
  channels(): ReportChannel[] {
    return this.#metered.map((m) => ({ name: m.channel.name, samples: [...m.samples] }));
  }

  #observe(m: Metered): Channel {
    const clock = this.#clock;
    const note = (n: number) => {
      m.bytes += n;
      const t = clock();
      // The newest sample moves forward while it is within the spacing of the one before it.
      const before = m.samples.length >= 2 ? m.samples[m.samples.length - 2] : undefined;
      if (before && t - before.t < SAMPLE_SPACING_MS) m.samples[m.samples.length - 1] = { t, bytes: m.bytes };
      else m.samples.push({ t, bytes: m.bytes });
    };
    return {
      get name() {
        return m.channel.name;
      },
      set name(value: string) {
        m.channel.name = value;
      },
      get closed() {
        return m.channel.closed;
      },
      async write(bytes) {
        const n = bytes.length;
        await m.channel.write(bytes);
        note(n);
      },
      read: (target) => m.channel.read(target),
      end: () => m.channel.end(),
      destroy: (reason) => m.channel.destroy(reason),
    };
  }
}
