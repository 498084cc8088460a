// Guarantee 5 on the main channel: with a checksum negotiated, every byte after CONFIGURATION is
// covered, so a flipped byte anywhere in it fails the migration with a typed error and the source
// resumes intact, even for a device (mtty) that does not check its own state.
import { describe, expect, it } from "vitest";
import { init, StreamDecoder } from "../../src/codec/index.js";
import { MttyDevice } from "../../src/device/index.js";
import { migrate, receive, type MultifdOptions } from "../../src/engine/index.js";
import { memoryNetwork } from "../../src/transport/index.js";
import type { Channel, Dialer } from "../../src/transport/types.js";
import { stateOf } from "./support.js";
import { VirtualClock } from "../../src/virtual-clock.js";

await init();

/** Keeps every byte the source writes on `main`, and flips bit `bit` of byte `at` of it (if given). */
function tapMain(dialer: Dialer, flip?: { at: number; bit: number }) {
  const written: number[] = [];
  const tapped: Dialer = {
    async dial(name, signal) {
      const channel = await dialer.dial(name, signal);
      if (name !== "main") return channel;
      const write = channel.write.bind(channel);
      return Object.assign(channel, {
        write(bytes: Uint8Array): Promise<void> {
          const start = written.length;
          for (const b of bytes) written.push(b);
          if (!flip || flip.at < start || flip.at >= start + bytes.length) return write(bytes);
          const copy = bytes.slice();
          copy[flip.at - start] ^= 1 << flip.bit;
          return write(copy);
        },
      } satisfies Partial<Channel>);
    },
  };
  return { dialer: tapped, written };
}

/** An mtty whose registers differ from a fresh one's, so its state says something. */
function mtty(): MttyDevice {
  const d = new MttyDevice();
  d.port(0).write(1, 0x0f); // IER
  d.port(0).write(3, 0x1b); // LCR
  return d;
}

interface RunOptions {
  multifd: MultifdOptions;
  flip?: { at: number; bit: number };
  /** Switch over at once: no pre-copy iterations, so the stream's layout is the same every run. */
  now?: boolean;
  /** Switchover-ack: the first PART section (the initial data) always comes right after setup. */
  ack?: boolean;
}

async function run({ multifd, flip, now, ack }: RunOptions) {
  const source = mtty();
  const destination = new MttyDevice();
  const before = source.digest();
  const network = memoryNetwork();
  const tap = tapMain(network.dialer, flip);
  const capabilities = { switchoverAck: ack ?? false };
  // A flipped type byte can make a header longer than what was sent: the reader then waits for
  // bytes that never come, and the stall timeout ends it (short here, so the suite stays fast).
  const timeouts = { stallTimeoutMs: 300, resolutionTimeoutMs: 100 };
  const clock = new VirtualClock(); // the stall waits take no wall time
  const receiving = receive({ devices: [destination], acceptor: network.acceptor, multifd, capabilities, clock, ...timeouts });
  const migration = migrate({ devices: [source], dialer: tap.dialer, multifd, capabilities, switchoverBandwidth: 1e9, clock, ...timeouts });
  if (now) migration.switchoverNow();
  const both = Promise.all([migration, receiving]);
  expect(await clock.run(both)).toBe("settled");
  const [s, d] = await both;
  await network.acceptor.close();
  return { s, d, before, source, destination, written: Uint8Array.from(tap.written) };
}

/** The main stream's records (throws if a check in it does not match). */
function records(stream: Uint8Array) {
  const decoder = new StreamDecoder({ kind: "main" });
  decoder.push(stream);
  const out = [...decoder.records()];
  decoder.end();
  return out;
}

/**
 * Flips a bit of every `stride`-th byte in [from, to) and checks each run fails on both ends, typed,
 * the source intact. The suite samples; `FLIP_STRIDE=1 npx vitest run test/engine/main-integrity.test.ts`
 * flips every byte (about 550 runs, 20 s here), which passed when this was written.
 */
async function flipEach(options: RunOptions, from: number, to: number, state: readonly number[], stride: number): Promise<Set<string>> {
  const codes = new Set<string>();
  for (let at = from; at < to; at += stride) {
    const { s, d, before, source, destination, written } = await run({ ...options, flip: { at, bit: at % 8 } });
    expect(written.length, "the flip lies inside the stream").toBeGreaterThan(at);
    expect([s.status, d.status], `flip at ${at}`).toEqual(["failed", "failed"]);
    expect(stateOf(source)).toBe("RUNNING");
    expect(source.digest()).toBe(before);
    expect(stateOf(destination)).toBe("RUNNING");
    const code = (d.error as { code?: string }).code!;
    const stalled = [s.error, d.error].some((e) => (e as { code?: string }).code === "ERR_CHANNEL_STALLED");
    // Data reaches the device as it arrives, before its chunk's check: mtty may refuse a bad header
    // first. A header made longer by the flip leaves the destination waiting: the source's stall
    // timeout of one end ends it.
    if (!stalled) expect(code, `flip at ${at}: ${d.error?.message}`).toMatch(/^ERR_WIRE_|^ERR_DEVICE_DATA_CORRUPT$/);
    if (state.includes(at)) expect(code, `flip at ${at} (device state)`).toMatch(/^ERR_WIRE_CHECKSUM_MISMATCH$|^ERR_DEVICE_DATA_CORRUPT$/);
    codes.add(code);
  }
  return codes;
}

/** Stream offsets of every device data and config blob byte among `recs`. */
function stateBytes(recs: ReturnType<typeof records>): number[] {
  const out: number[] = [];
  for (const r of recs) {
    if (r.type !== "data" && r.type !== "config") continue;
    // A config record's offset is its be64 length's; the blob follows the length and its check.
    const first = r.type === "config" ? r.offset + 8 + 4 : r.offset;
    for (let i = 0; i < r.bytes.length; i++) out.push(first + i);
  }
  return out;
}

/** Every 11th byte: each kind of unit and check is hit, and the bit flipped moves with the offset. */
const STRIDE = Number(process.env.FLIP_STRIDE ?? 11);

describe("main-channel checks", () => {
  for (const mode of ["off", "on"] as const) {
    const multifd: MultifdOptions = mode === "on" ? { channels: 1, mode: "on", checksum: true } : { mode: "off", checksum: true };
    it(`completes with equal state, every unit checked (multifd ${mode})`, async () => {
      const { s, d, before, destination, written } = await run({ multifd });
      expect([s.status, d.status]).toEqual(["completed", "completed"]);
      expect(destination.digest()).toBe(before);
      const recs = records(written); // verifies every check
      const configuration = recs.find((r) => r.type === "configuration") as { json: { capabilities: { checksum: string } } };
      expect(configuration.json.capabilities.checksum).toBe("crc32c");
    });
  }

  it("reads a checked stream fed one byte at a time exactly as whole", async () => {
    const { written } = await run({ multifd: { mode: "off", checksum: true }, ack: true });
    // Data comes as pieces of whatever arrived: compare the other records, and the data bytes in total.
    const summary = (recs: ReturnType<typeof records>) => ({
      records: recs.filter((r) => r.type !== "data").map(({ type, offset }) => `${type}@${offset}`),
      dataBytes: recs.reduce((n, r) => n + (r.type === "data" ? r.bytes.length : 0), 0),
    });
    const decoder = new StreamDecoder({ kind: "main" });
    const recs: ReturnType<typeof records> = [];
    for (let i = 0; i < written.length; i++) {
      decoder.push(written.subarray(i, i + 1));
      recs.push(...decoder.records());
    }
    decoder.end();
    expect(summary(recs)).toEqual(summary(records(written)));
  });

  it("a flipped bit in any byte from CONFIGURATION to EOF fails both ends, typed; the source resumes intact", async () => {
    const options: RunOptions = { multifd: { mode: "off", checksum: true }, now: true };
    const { written } = await run(options);
    const recs = records(written);
    const covered = recs[recs.findIndex((r) => r.type === "configuration") + 1].offset;
    const state = stateBytes(recs);
    expect(state.length).toBeGreaterThan(255);
    // Up to EOF and its check: COMMIT after it is the commit protocol's, not device state.
    const eof = recs.find((r) => r.type === "eof")!.offset;
    const codes = await flipEach(options, covered, eof + 1 + 4, state, STRIDE);
    expect(codes).toContain("ERR_WIRE_CHECKSUM_MISMATCH");
  });

  it("a flipped bit in the first pre-copy PART section fails both ends, typed; the source resumes intact", async () => {
    const options: RunOptions = { multifd: { mode: "off", checksum: true }, ack: true };
    const { written } = await run(options);
    const recs = records(written);
    const part = recs.findIndex((r) => r.type === "part");
    const footer = recs.findIndex((r, i) => i > part && r.type === "footer");
    const codes = await flipEach(options, recs[part].offset, recs[footer].offset + 5 + 4, stateBytes(recs.slice(part, footer)), 3);
    expect(codes).toContain("ERR_WIRE_CHECKSUM_MISMATCH");
  });
});
