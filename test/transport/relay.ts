// The relay run inside real workers (worker_threads in Node, a Web Worker in Chromium) by the
// MessagePort tests: the test thread dials in on `inbound`; for each channel the worker dials back
// on `outbound` under the same name and relays bytes both ways, so every byte crosses two thread
// boundaries between the test's two ends. Browser-safe: no Node built-ins.
import type { Channel } from "../../src/transport/types.js";
import { messagePortAcceptor, messagePortDialer, type PortLike } from "../../src/transport/message-port.js";

async function pump(from: Channel, to: Channel): Promise<void> {
  const buf = new Uint8Array(256 * 1024);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === 0) return await to.end();
      await to.write(buf.subarray(0, n));
    }
  } catch (err) {
    // A reset on either side resets the other: the far end sees the failure, typed.
    from.destroy(err as Error);
    to.destroy(err as Error);
  }
}

export async function relayChannels(inbound: PortLike, outbound: PortLike): Promise<void> {
  const acceptor = messagePortAcceptor(inbound);
  const dialer = messagePortDialer(outbound);
  for (;;) {
    const near = await acceptor.accept();
    const far = await dialer.dial(near.name);
    void pump(near, far);
    void pump(far, near);
  }
}
