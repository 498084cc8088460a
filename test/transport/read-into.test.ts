// Channel.readInto: the reader names where bytes go (a socket reads straight into it).
import { describe, expect, it } from "vitest";
import { ChannelError } from "../../src/transport/errors.js";
import { ReceiveQueue } from "../../src/transport/receive-queue.js";
import { tcpConnect, tcpListen } from "../../src/transport/tcp.js";
import type { ReadSink } from "../../src/transport/types.js";
import { seededBytes } from "../codec/helpers.js";

/** A sink collecting into `capacity` bytes, offering at most `step` bytes per target and none while `full`. */
function collector(capacity: number, step = Infinity) {
  const memory = new Uint8Array(capacity);
  const sink = {
    got: 0,
    full: false,
    ends: 0,
    error: undefined as Error | undefined,
    done: undefined as unknown as Promise<void>,
    target(): Uint8Array | undefined {
      if (sink.full || sink.got === capacity) return undefined;
      return memory.subarray(sink.got, Math.min(capacity, sink.got + step));
    },
    landed(n: number) {
      sink.got += n;
    },
    ended() {
      sink.ends++;
      finish();
    },
    failed(error: Error) {
      sink.error = error;
      finish();
    },
    bytes: () => memory.subarray(0, sink.got),
  };
  let finish = () => {};
  sink.done = new Promise<void>((resolve) => (finish = resolve));
  return sink satisfies ReadSink;
}

describe("ReceiveQueue.readInto", () => {
  it("hands queued bytes over first, waits while the sink has no room, then tells the end", () => {
    const queue = new ReceiveQueue(() => "q");
    const released: number[] = [];
    queue.push(new Uint8Array([1, 2, 3]), () => released.push(1));
    const sink = collector(16, 2);
    sink.full = true;
    const wake = queue.readInto(sink);
    expect(sink.got).toBe(0);
    queue.push(new Uint8Array([4, 5]), () => released.push(2));
    queue.end();
    expect(sink.ends).toBe(0);
    sink.full = false;
    wake();
    expect([...sink.bytes()]).toEqual([1, 2, 3, 4, 5]);
    expect(released).toEqual([1, 2]);
    expect(sink.ends).toBe(1);
    expect(queue.directTarget()).toBeUndefined();
  });

  it("offers the sink's memory for direct writes only while nothing is queued ahead", () => {
    const queue = new ReceiveQueue(() => "q");
    const sink = collector(8);
    queue.readInto(sink);
    const direct = queue.directTarget()!;
    direct.set([9, 8]);
    queue.landed(2);
    sink.full = true;
    queue.push(new Uint8Array([7]));
    sink.full = false;
    expect(queue.directTarget()).toBeUndefined();
    queue.push(new Uint8Array([6]));
    expect([...sink.bytes()]).toEqual([9, 8, 7, 6]);
    expect(queue.directTarget()).toBeDefined();
  });

  it("fails the sink with the channel, and refuses read() once a sink is attached", async () => {
    const queue = new ReceiveQueue(() => "q");
    const sink = collector(8);
    queue.readInto(sink);
    await expect(queue.read(new Uint8Array(4))).rejects.toMatchObject({ code: "ERR_CHANNEL_USAGE" });
    expect(() => queue.readInto(collector(8))).toThrow(ChannelError);
    const error = new ChannelError("ERR_CHANNEL_RESET", "q", "reset");
    queue.fail(error);
    expect(sink.error).toBe(error);
  });
});

describe("SocketChannel.readInto over TCP", () => {
  it("delivers every byte in order into the sink's memory, then the end", async () => {
    const acceptor = await tcpListen({ port: 0 });
    const [dialed, accepted] = await Promise.all([tcpConnect(acceptor.address).dial("a"), acceptor.accept()]);
    const sent = seededBytes(4 * 1024 * 1024 + 123, 5);
    const sink = collector(sent.length, 300_000);
    accepted.readInto!(sink);
    for (let at = 0; at < sent.length; at += 1 << 20) await dialed.write(sent.subarray(at, at + (1 << 20)));
    await dialed.end();
    await sink.done;
    expect(sink.error).toBeUndefined();
    expect(sink.ends).toBe(1);
    // Buffer.compare: toEqual walks megabytes element by element.
    expect(Buffer.compare(sink.bytes(), sent)).toBe(0);
    expect(sink.got).toBe(sent.length);
    dialed.destroy();
    accepted.destroy();
    await acceptor.close();
  });
});
