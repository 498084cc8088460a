// Worker-thread entry of `threadedDialer`: opens one TCP or TLS connection in this thread and
// relays it to the dialing thread over the transferred port, so that the socket's work (TLS
// encryption and decryption above all) runs beside the engine instead of on its thread.
import { workerData } from "node:worker_threads";
import { answerDial, type PortLike } from "./message-port.js";
import { pipeChannels } from "./pipe.js";
import { tcpConnect } from "./tcp.js";
import { tlsConnect } from "./tls.js";
import type { ThreadedTarget } from "./threaded.js";

export interface ChannelThreadData {
  target: ThreadedTarget;
  name: string;
  window: number;
  port: PortLike;
}

async function run({ target, name, window, port }: ChannelThreadData): Promise<void> {
  const near = answerDial(port, name, window);
  // The dialing thread gave up (aborted, destroyed): stop connecting.
  const giveUp = new AbortController();
  void near.closed.then(() => giveUp.abort());
  const dialer = target.tls ? tlsConnect({ ...target, tls: target.tls }) : tcpConnect(target);
  let far;
  try {
    far = await dialer.dial(name, giveUp.signal);
  } catch (err) {
    return near.answer(err as Error);
  }
  near.answer();
  await Promise.all([pipeChannels(near, far), pipeChannels(far, near)]);
  await Promise.all([near.closed, far.closed]);
}

void run(workerData as ChannelThreadData);
