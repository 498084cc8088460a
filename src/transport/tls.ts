/**
 * `vfio-migration/tls`: Channels over TLS (Node): `tlsConnect()` dials, `tlsListen()` accepts; certificates and mutual auth.
 *
 * @module vfio-migration/tls
 */
import * as tls from "node:tls";
import { isIP, type Socket } from "node:net";
import { realClock, type Clock } from "../clock.js";
import type { Channel, Dialer } from "./types.js";
import { AcceptQueue } from "./accept-queue.js";
import { ChannelError, abortedError } from "./errors.js";
import { SocketChannel, socketError } from "./socket-channel.js";
import { closeServer, connectSocket, listen, peerName } from "./socket-setup.js";
import type { SocketAcceptor, TcpConnectOptions, TcpListenOptions } from "./tcp.js";

/** PEM text (or its bytes), or several. */
export type Pem = string | Buffer | Array<string | Buffer>;

/** Certificates for both ends. Peers must present a certificate that `ca` signed. */
export interface TlsOptions {
  /** This end's certificate chain (PEM). Required on the server; on the client for mutual TLS. */
  cert?: Pem;
  key?: Pem;
  /** The CA(s) to trust for the peer's certificate (instead of the system's). */
  ca?: Pem;
  /** Server: refuse clients without a certificate signed by `ca` (mutual TLS). */
  requireClientCert?: boolean;
  /** Client: the name to check the server certificate against; default the host. */
  servername?: string;
}

export interface TlsConnectOptions extends TcpConnectOptions {
  tls: TlsOptions;
  /** Times our handshake confirmation (default the real clock). */
  clock?: Clock;
}

export interface TlsListenOptions extends TcpListenOptions {
  tls: TlsOptions;
  /** Times our handshake confirmation (default the real clock); OpenSSL's own handshake timeout stays Node's. */
  clock?: Clock;
}

/** Every failure before a TLS channel is usable is a refusal (except a plain connection refused). */
function handshakeError(name: string, err: Error): ChannelError {
  const typed = err instanceof ChannelError ? err : socketError(name, err);
  if (typed.code === "ERR_CHANNEL_REFUSED" || typed.code === "ERR_TLS_HANDSHAKE" || typed.code === "ERR_CHANNEL_ABORTED") return typed;
  // A peer that hangs up on our ClientHello most likely does not speak TLS (a plain receiver drops
  // a connection that does not begin with the migration's magic).
  const hint = typed.code === "ERR_CHANNEL_RESET" || typed.code === "ERR_PEER_CLOSED" ? " (does the peer use TLS? use TLS on both ends or on neither)" : "";
  return new ChannelError("ERR_TLS_HANDSHAKE", name, `TLS handshake failed: ${typed.message}${hint}`, { cause: err });
}

const ACK = 0x06;
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Node checks the peer's certificate after OpenSSL's handshake and, refusing, just closes: in TLS
 * 1.3 the client is already "connected" when the server refuses it, and a server learns nothing
 * when a client refuses it. So each end, once it accepts the peer, sends one ACK byte and waits for
 * the peer's: a channel is handed out only when both ends accepted, and a refusal or a silent peer
 * fails on both ends with ERR_TLS_HANDSHAKE.
 */
async function confirmHandshake(channel: SocketChannel, clock: Clock, signal?: AbortSignal): Promise<void> {
  const timer = clock.setTimeout(() => channel.destroy(new ChannelError("ERR_TLS_HANDSHAKE", channel.name, "peer did not confirm the TLS handshake in time")), HANDSHAKE_TIMEOUT_MS);
  const onAbort = () => channel.destroy(abortedError(channel.name, signal!));
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await channel.write(new Uint8Array([ACK]));
    const got = new Uint8Array(1);
    if ((await channel.read(got)) !== 1 || got[0] !== ACK) {
      throw new ChannelError("ERR_TLS_HANDSHAKE", channel.name, "peer closed the connection during the TLS handshake (it refused our certificate?)");
    }
  } catch (err) {
    const typed = handshakeError(channel.name, err as Error);
    channel.destroy(typed);
    throw typed.code === "ERR_TLS_HANDSHAKE" || typed.code === "ERR_CHANNEL_ABORTED" ? typed
      : new ChannelError("ERR_TLS_HANDSHAKE", channel.name, `peer closed the connection during the TLS handshake (it refused our certificate?): ${typed.message}`, { cause: typed });
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** A Dialer whose every channel is a new TLS connection (TLS 1.2 or later) to `host:port`. */
export function tlsConnect(options: TlsConnectOptions): Dialer {
  const { cert, key, ca, servername } = options.tls;
  return {
    async dial(name: string, signal?: AbortSignal): Promise<Channel> {
      const channel = new SocketChannel(name, options);
      const open = () =>
        tls.connect({
          host: options.host,
          port: options.port,
          cert,
          key,
          ca,
          servername: servername ?? (isIP(options.host) ? undefined : options.host),
          minVersion: "TLSv1.2",
          // Node passes both on to the TLSSocket; @types/node does not list them.
          allowHalfOpen: true,
          onread: channel.onread(),
        } as tls.ConnectionOptions);
      let socket: tls.TLSSocket;
      try {
        socket = (await connectSocket(name, signal, open, "secureConnect")) as tls.TLSSocket;
      } catch (err) {
        throw handshakeError(name, err as Error);
      }
      channel.attach(socket, "pooled");
      await confirmHandshake(channel, options.clock ?? realClock, signal);
      return channel;
    },
  };
}

/**
 * Starts a TLS listener; resolves once bound. A peer refused during the handshake (no, untrusted or
 * wrong certificate) makes the next `accept()` reject with ERR_TLS_HANDSHAKE; the acceptor stays
 * open, so a server may accept again. Node creates server-side TLS sockets without `onread`, so
 * their channels receive in stream mode.
 */
export async function tlsListen(options: TlsListenOptions): Promise<SocketAcceptor> {
  const host = options.host ?? "127.0.0.1";
  const { cert, key, ca, requireClientCert } = options.tls;
  const server = tls.createServer({
    cert,
    key,
    ca,
    requestCert: Boolean(requireClientCert),
    // Checked in secureConnection below, so that a refusal is reported rather than silent.
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
    // Half-open only once secure (below): a client that gives up mid-handshake sends a FIN, which
    // must close the socket and so report 'tlsClientError', not leave it waiting half-open.
    allowHalfOpen: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    noDelay: true,
  });
  const queue = new AcceptQueue("tls", options.backlog);
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    socket.allowHalfOpen = true;
    const channel = new SocketChannel(peerName("tls", socket), options).attach(socket, "stream");
    if (requireClientCert && !socket.authorized) {
      const why = String(socket.authorizationError ?? "no client certificate");
      const err = new ChannelError("ERR_TLS_HANDSHAKE", channel.name, `TLS refused the client's certificate: ${why}`);
      channel.destroy(err);
      queue.refuse(err);
      return;
    }
    confirmHandshake(channel, options.clock ?? realClock).then(
      () => {
        if (!queue.offer(channel)) channel.destroy(new ChannelError("ERR_ACCEPTOR_CLOSED", channel.name, "acceptor closed or backlog full"));
      },
      (err: Error) => queue.refuse(err),
    );
  });
  // Read the peer's address while the connection is up: after a failed handshake it is gone.
  server.on("connection", (raw: Socket) => void raw.remoteAddress);
  server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
    const raw = (socket as unknown as { _parent?: Socket })._parent ?? socket;
    socket.destroy();
    queue.refuse(handshakeError(`tls/${raw.remoteAddress ?? "?"}:${raw.remotePort ?? "?"}`, err));
  });
  const address = await listen(server, host, options.port);
  return {
    address,
    accept: (signal) => queue.accept(signal),
    close: () => closeServer(server, queue),
  };
}
