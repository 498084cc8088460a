/**
 * `vfio-migration/tcp`: Channels over TCP (Node): `tcpConnect()` dials, `tcpListen()` accepts.
 *
 * @module vfio-migration/tcp
 */
import * as net from "node:net";
import type { Acceptor, Channel, Dialer } from "./types.js";
import { AcceptQueue } from "./accept-queue.js";
import { ChannelError } from "./errors.js";
import { SocketChannel, type ReceiveOptions } from "./socket-channel.js";
import { closeServer, connectSocket, listen, peerName } from "./socket-setup.js";

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
    const channel = new SocketChannel(peerName("tcp", raw), options);
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
