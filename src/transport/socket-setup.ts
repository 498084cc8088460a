// Socket plumbing shared by the TCP and TLS transports (not part of the public surface).
import type * as net from "node:net";
import type { AcceptQueue } from "./accept-queue.js";
import { abortedError } from "./errors.js";
import { socketError } from "./socket-channel.js";

/** Opens a socket (net or tls) and resolves once it is ready for the channel, or rejects typed. */
export function connectSocket(
  name: string,
  signal: AbortSignal | undefined,
  open: () => net.Socket,
  readyEvent: "connect" | "secureConnect",
): Promise<net.Socket> {
  if (signal?.aborted) return Promise.reject(abortedError(name, signal));
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = open();
    const done = (err?: Error) => {
      socket.off(readyEvent, onReady);
      socket.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onReady = () => done();
    const onError = (err: Error) => done(socketError(name, err));
    const onAbort = () => done(abortedError(name, signal!));
    socket.once(readyEvent, onReady);
    socket.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function listen(server: net.Server, host: string, port: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(socketError(`tcp://${host}:${port}`, err));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const bound = server.address() as net.AddressInfo;
      resolve({ host: bound.address, port: bound.port });
    });
  });
}

/**
 * Stops listening and refuses what was not accepted; accepted channels stay open. Resolves once the
 * listening socket is released, without waiting for accepted connections (which net.Server's own
 * close callback would, for TLS ones).
 */
export async function closeServer(server: net.Server, queue: AcceptQueue): Promise<void> {
  queue.close();
  if (!server.listening) return;
  server.close();
  // The listening handle closes on the next turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
}

let unknownPeers = 0;

/**
 * An incoming connection's name: `tcp/1.2.3.4:5678`, `tls/[::1]:5678`. A peer that reset before its
 * address was read has none any more: it is numbered instead, so messages still tell it apart.
 */
export function peerName(scheme: "tcp" | "tls", socket: { remoteAddress?: string; remotePort?: number }): string {
  const { remoteAddress: address, remotePort: port } = socket;
  if (address === undefined || port === undefined) return `${scheme}/unknown-peer-${++unknownPeers}`;
  return `${scheme}/${address.includes(":") ? `[${address}]` : address}:${port}`;
}
