/**
 * `vfio-migration/threads`: Each channel's TCP or TLS socket on a worker thread of its own (Node, opt-in).
 *
 * @module vfio-migration/threads
 */
import { MessageChannel, Worker } from "node:worker_threads";
import type { Channel, Dialer } from "./types.js";
import { ChannelError, abortedError } from "./errors.js";
import { awaitAnswer } from "./message-port.js";
import type { ChannelThreadData } from "./channel-thread.js";
import type { TcpConnectOptions } from "./tcp.js";
import type { TlsOptions } from "./tls.js";

/** Where a threaded dialer connects: TCP, or TLS when `tls` is given. */
export interface ThreadedTarget extends Omit<TcpConnectOptions, "receiveRegion"> {
  tls?: TlsOptions;
}

export interface ThreadedDialerOptions {
  /** Bytes in flight between this thread and each channel's thread. Default 1 MiB. */
  window?: number;
}

const DEFAULT_WINDOW = 1 << 20;
const THREAD_ENTRY = new URL("./channel-thread.js", import.meta.url);

/**
 * A Dialer whose every channel is a TCP or TLS connection opened and driven by a worker thread of
 * its own; this thread only moves bytes to and from it over a MessagePort. Worth it where the
 * socket work is heavy, as TLS's ciphers are: N channels then encrypt on N threads (see
 * docs/BENCHMARKS.md). Errors are typed as the direct transports' are (ERR_CHANNEL_REFUSED,
 * ERR_TLS_HANDSHAKE, ERR_CHANNEL_RESET...); the thread ends when its connection is closed.
 */
export function threadedDialer(target: ThreadedTarget, options: ThreadedDialerOptions = {}): Dialer {
  const window = options.window ?? DEFAULT_WINDOW;
  return {
    async dial(name: string, signal?: AbortSignal): Promise<Channel> {
      if (signal?.aborted) throw abortedError(name, signal);
      const { port1, port2 } = new MessageChannel();
      const data: ChannelThreadData = { target, name, window, port: port2 };
      // No inherited flags: a loader the parent runs under (tsx, a test runner's) would only slow its start.
      const worker = new Worker(THREAD_ENTRY, { workerData: data, transferList: [port2], execArgv: [] });
      const answered = awaitAnswer(port1, name, window, signal);
      // A thread that fails to start or throws closes its port; say why instead of "peer closed".
      let channel: Channel | undefined;
      const crashed = new Promise<never>((_, reject) =>
        worker.once("error", (err) => (channel ? channel.destroy(threadError(name, err)) : reject(threadError(name, err)))),
      );
      try {
        channel = await Promise.race([answered, crashed]);
      } catch (err) {
        answered.then((late) => late.destroy(), () => {});
        throw err;
      }
      return channel;
    },
  };
}

function threadError(name: string, err: Error): ChannelError {
  return new ChannelError("ERR_CHANNEL_IO", name, `channel thread failed: ${err.message}`, { cause: err });
}
