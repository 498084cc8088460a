// WatchedChannel keeps a transport's readInto (the socket reading straight into the receiver's
// memory) and counts a sink with room as a pending read.
import { describe, expect, it } from "vitest";
import { realClock } from "../../src/clock.js";
import { WatchedChannel } from "../../src/engine/stall-watch.js";
import { memoryPair } from "../../src/transport/memory.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import type { ReadSink } from "../../src/transport/types.js";
import { seededBytes } from "../codec/helpers.js";

function sink(capacity: number) {
  const memory = new Uint8Array(capacity);
  const s = {
    got: 0,
    full: false,
    error: undefined as Error | undefined,
    ended: false,
    target: () => (s.full || s.got === capacity ? undefined : memory.subarray(s.got)),
    landed: (n: number) => void (s.got += n),
    bytes: () => memory.subarray(0, s.got),
  };
  const readSink: ReadSink = {
    target: s.target,
    landed: s.landed,
    ended: () => void (s.ended = true),
    failed: (error) => void (s.error = error),
  };
  return { s, readSink };
}

async function tcpPair() {
  const acceptor = await tcpListen({ port: 0 });
  const [dialed, accepted] = await Promise.all([tcpConnect(acceptor.address).dial("a"), acceptor.accept()]);
  return { dialed, accepted, close: () => (dialed.destroy(), accepted.destroy(), acceptor.close()) };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

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
    await until(() => s.ended);
    expect(Buffer.compare(s.bytes(), sent)).toBe(0);
    await close();
  });

  it("stalls when awaited with room and a silent peer, not while its own reader is full", async () => {
    const quiet = await tcpPair();
    const watched = new WatchedChannel(quiet.accepted, realClock, 100);
    const { s, readSink } = sink(1024);
    watched.readInto!(readSink);
    watched.awaiting = true;
    await until(() => s.error !== undefined);
    expect(s.error).toMatchObject({ code: "ERR_CHANNEL_STALLED" });
    await quiet.close();

    const busy = await tcpPair();
    const full = new WatchedChannel(busy.accepted, realClock, 100);
    const held = sink(4);
    const wake = full.readInto!(held.readSink);
    full.awaiting = true;
    await busy.dialed.write(new Uint8Array(64));
    await until(() => held.s.got === 4);
    held.s.full = true;
    wake(); // the sink asks again, and has no room: our own reader is behind, not the peer
    await busy.dialed.write(new Uint8Array(64));
    await new Promise((r) => setTimeout(r, 400));
    expect(held.s.error).toBeUndefined();
    await busy.close();
  });
});
