// The relay run inside real workers (worker_threads in Node, a Web Worker in Chromium) by the
// MessagePort tests: the test thread dials in on `inbound`; for each channel the worker dials back
// on `outbound` under the same name and relays bytes both ways, so every byte crosses two thread
// boundaries between the test's two ends. Browser-safe: no Node built-ins.
import type { Channel } from "../../src/transport/types.js";
import { pipeChannels } from "../../src/transport/pipe.js";
import { messagePortAcceptor, messagePortDialer, type PortLike } from "../../src/transport/message-port.js";

export async function relayChannels(inbound: PortLike, outbound: PortLike): Promise<void> {
  const acceptor = messagePortAcceptor(inbound);
  const dialer = messagePortDialer(outbound);
  for (;;) {
    const near = await acceptor.accept();
    const far = await dialer.dial(near.name);
    void pipeChannels(near, far);
    void pipeChannels(far, near);
  }
}
