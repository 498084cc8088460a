import { describe, expect, it } from "vitest";
import { WatchedChannel } from "../../src/engine/stall-watch.js";
import { memoryPair } from "../../src/transport/memory.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { MigrationFlags } from "../../src/fsm/index.js";
import { SimulatedNetwork } from "../../src/sim/network.js";
import { Random } from "../../src/sim/random.js";
import { runBoth, simulatedPair } from "./support.js";
import { init } from "../../src/codec/index.js";
import { realClock } from "../../src/clock.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import type { Channel, ReadSink } from "../../src/transport/types.js";
import { seededBytes } from "../codec/helpers.js";

await init();

describe("WatchedChannel", () => {
  // DST seed 499: a wait that began at 7.2 with a 121 ms stall timeout. (7.2 + 121) - 7.2 rounds to
  // just under 121, so a re-check by subtraction found "not yet" and re-armed a 0 ms timer forever.
  it("fails a stalled read exactly stallMs after the wait began, whatever the rounding of the instants", async () => {
    const clock = new VirtualClock(7.2);
    const [near] = memoryPair();
    const watched = new WatchedChannel(near, clock, 121);
    watched.awaiting = true;
    const reading = watched.read(new Uint8Array(16));
    reading.catch(() => {});
    expect(await clock.run(reading, Infinity, 1000)).toBe("settled");
    await expect(reading).rejects.toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    expect(clock.now()).toBe(7.2 + 121);
    expect(clock.steps).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  // DST seed 84768: a source ending a multifd channel whose link never delivers waited in end(),
  // which nothing watched, and the run never ended.
  it("fails an end the peer never takes, like a write", async () => {
    const clock = new VirtualClock();
    const [near] = memoryPair();
    // A link that holds what was written and never delivers it: its end never completes.
    let destroyed: Error | undefined;
    const held: Channel = {
      name: "multifd/0",
      closed: near.closed,
      write: async () => {},
      read: (target) => near.read(target),
      end: () => new Promise<void>((_, reject) => void near.closed.then(() => reject(destroyed))),
      destroy: (reason) => ((destroyed = reason), near.destroy(reason)),
    };
    const watched = new WatchedChannel(held, clock, 100);
    await watched.write(new Uint8Array(16));
    const ending = watched.end();
    ending.catch(() => {});
    expect(await clock.run(ending, Infinity, 1000)).toBe("settled");
    await expect(ending).rejects.toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    expect(clock.now()).toBe(100);
  });

  it("counts from the last progress: a byte read re-arms the wait", async () => {
    const clock = new VirtualClock();
    const [near, far] = memoryPair();
    const watched = new WatchedChannel(near, clock, 100);
    watched.awaiting = true;
    const first = watched.read(new Uint8Array(16));
    clock.setTimeout(() => void far.write(new Uint8Array([1])), 60);
    await clock.run(first);
    expect(await first).toBe(1);
    const second = watched.read(new Uint8Array(16));
    second.catch(() => {});
    await clock.run(second);
    await expect(second).rejects.toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    expect(clock.now()).toBe(160);
  });
});

describe("stall detection across a session's channels", () => {
  // The main channel says nothing while multifd carries the stop-copy state: that is no stall
  // however long the transfer takes, as long as some channel of the session moves.
  it("completes a multifd stop-copy that lasts many stall timeouts while the main channel is silent", async () => {
    const clock = new VirtualClock();
    const random = new Random(7);
    const network = new SimulatedNetwork({
      clock,
      random: () => random.next(),
      // 32 MiB over two channels at 8 MiB/s each: 2 s of transfer against a 300 ms timeout (a 1 MiB
      // packet takes 125 ms: a single write must fit in the timeout, the whole transfer need not).
      link: (name, direction) => (name !== "main" && direction === "forward" ? { bandwidth: 8 << 20 } : {}),
    });
    const flags = MigrationFlags.STOP_COPY | MigrationFlags.P2P;
    const { sources, destinations } = simulatedPair(2, { stateSize: 16 << 20, flags, clock });
    const multifd = { mode: "on", channels: 2 } as const;
    const run = await runBoth(sources, destinations, { clock, multifd, stallTimeoutMs: 300 }, { clock, multifd, stallTimeoutMs: 300 }, network);
    expect(run.source.error).toBeUndefined();
    expect(run.destination.error).toBeUndefined();
    expect(run.source.status).toBe("completed");
    expect(clock.now()).toBeGreaterThan(1500);
    expect(destinations.map((d) => d.digest())).toEqual(sources.map((d) => d.digest()));
  });
});

// WatchedChannel keeps a transport's readInto (the socket reading straight into the receiver's
// memory) and counts a sink with room as a pending read.

function sink(capacity: number) {
  const memory = new Uint8Array(capacity);
  // Waiters on the sink's state, checked on every callback the channel makes (no polling).
  const waiters: Array<{ cond: () => boolean; resolve: () => void }> = [];
  const changed = (): void => {
    for (const w of waiters.filter((w) => w.cond())) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const s = {
    got: 0,
    full: false,
    error: undefined as Error | undefined,
    ended: false,
    target: () => (s.full || s.got === capacity ? undefined : memory.subarray(s.got)),
    landed: (n: number) => void (s.got += n),
    bytes: () => memory.subarray(0, s.got),
    /** Resolves once `cond` holds after a callback of the channel. */
    when: (cond: () => boolean) => (cond() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ cond, resolve }))),
  };
  const readSink: ReadSink = {
    target: s.target,
    landed: (n) => (s.landed(n), changed()),
    ended: () => ((s.ended = true), changed()),
    failed: (error) => ((s.error = error), changed()),
  };
  return { s, readSink };
}

async function tcpPair() {
  const acceptor = await tcpListen({ port: 0 });
  const [dialed, accepted] = await Promise.all([tcpConnect(acceptor.address).dial("a"), acceptor.accept()]);
  return { dialed, accepted, close: () => (dialed.destroy(), accepted.destroy(), acceptor.close()) };
}

describe("WatchedChannel.readInto", () => {
  it("is there exactly when the inner channel has it", () => {
    const [a] = memoryPair();
    const inner = { ...a, readInto: undefined, name: "x", closed: a.closed } as typeof a;
    expect(new WatchedChannel(inner, realClock, 1000).readInto).toBeUndefined();
  });

  it("over TCP the socket reads straight into the sink's memory, every byte in order, then the end", async () => {
    const { dialed, accepted, close } = await tcpPair();
    const watched = new WatchedChannel(accepted, realClock, 10_000);
    expect(watched.readInto).toBeTypeOf("function");
    const sent = seededBytes(3 * 1024 * 1024 + 7, 9);
    const { s, readSink } = sink(sent.length);
    watched.readInto!(readSink);
    for (let at = 0; at < sent.length; at += 1 << 20) await dialed.write(sent.subarray(at, at + (1 << 20)));
    await dialed.end();
    await s.when(() => s.ended);
    expect(Buffer.compare(s.bytes(), sent)).toBe(0);
    await close();
  });

  // The stall timers run on a virtual clock (the sockets are real): the test moves time past the
  // timeout itself instead of sleeping through it.
  it("stalls when awaited with room and a silent peer, not while its own reader is full", async () => {
    const clock = new VirtualClock();
    const quiet = await tcpPair();
    const watched = new WatchedChannel(quiet.accepted, clock, 100);
    const { s, readSink } = sink(1024);
    watched.readInto!(readSink);
    watched.awaiting = true;
    await clock.advance(100);
    expect(s.error).toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    await quiet.close();

    const busy = await tcpPair();
    const full = new WatchedChannel(busy.accepted, clock, 100);
    const held = sink(4);
    const wake = full.readInto!(held.readSink);
    full.awaiting = true;
    await busy.dialed.write(new Uint8Array(64));
    await held.s.when(() => held.s.got === 4);
    held.s.full = true;
    wake(); // the sink asks again, and has no room: our own reader is behind, not the peer
    await clock.advance(1000);
    expect(held.s.error).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    await busy.close();
  });
});
