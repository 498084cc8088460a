import * as net from "node:net";
import type { Acceptor, Channel, Dialer } from "./types.js";
import { AcceptQueue } from "./accept-queue.js";
import { ChannelError, abortedError } from "./errors.js";
import { SocketChannel, socketError, type ReceiveOptions } from "./socket-channel.js";

export interface TcpConnectOptions extends ReceiveOptions {
  host: string;
  port: number;
}

export interface TcpListenOptions extends ReceiveOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** 0 picks a free port; read it from `address`. */
  port: number;
  /** Channels accepted but not yet taken by `accept()`; more are refused. Default 64. */
  backlog?: number;
}

/** An Acceptor listening on a socket; `address` is where it is bound. */
export interface SocketAcceptor extends Acceptor {
  readonly address: { host: string; port: number };
}

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

/** A Dialer whose every channel is a new TCP connection to `host:port`. */
export function tcpConnect(options: TcpConnectOptions): Dialer {
  return {
    async dial(name: string, signal?: AbortSignal): Promise<Channel> {
      const channel = new SocketChannel(name, options);
      const socket = await connectSocket(name, signal, () =>
        net.connect({ host: options.host, port: options.port, allowHalfOpen: true, noDelay: true, onread: channel.onread() }), "connect");
      return channel.attach(socket, "pooled");
    },
  };
}

/**
 * Node's net.Server has no `onread` option for accepted sockets, so we take the accepted (still
 * paused) handle and wrap it in a Socket that has one, exactly as net.Server would with it.
 */
function withOnread(raw: net.Socket, channel: SocketChannel): net.Socket {
  const internal = raw as unknown as { _handle: unknown };
  const handle = internal._handle;
  internal._handle = null;
  raw.destroy(); // releases the server's connection count; the handle lives on in the new socket
  return new net.Socket({ handle, allowHalfOpen: true, readable: true, writable: true, onread: channel.onread() } as net.SocketConstructorOpts);
}

/** Starts listening; resolves once bound. */
export async function tcpListen(options: TcpListenOptions): Promise<SocketAcceptor> {
  const host = options.host ?? "127.0.0.1";
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  const queue = new AcceptQueue("tcp", options.backlog);
  server.on("connection", (raw) => {
    const channel = new SocketChannel(`tcp/${raw.remoteAddress}:${raw.remotePort}`, options);
    channel.attach(withOnread(raw, channel), "pooled");
    if (!queue.offer(channel)) channel.destroy(new ChannelError("ERR_ACCEPTOR_CLOSED", channel.name, "acceptor closed or backlog full"));
  });
  const address = await listen(server, host, options.port);
  return {
    address,
    accept: (signal) => queue.accept(signal),
    close: () => closeServer(server, queue),
  };
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

/** Stops listening and refuses what was not accepted; accepted channels stay open. */
export function closeServer(server: net.Server, queue: AcceptQueue): Promise<void> {
  queue.close();
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
