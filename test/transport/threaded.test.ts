// threadedDialer: every channel's socket lives in a worker thread of its own. Its worker entry is
// JavaScript, so these tests use the built package (npm test builds first), end to end: real
// threads, real TCP and TLS sockets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { threadedDialer } from "../../dist/transport/threaded.js";
import { tcpListen, type SocketAcceptor } from "../../dist/transport/tcp.js";
import { tlsListen, type TlsOptions } from "../../dist/transport/tls.js";
import { isVfioMigrationError } from "../../dist/errors.js";
import { readdirSync } from "node:fs";
import { makeTestCerts } from "../support/certs.js";
import { MiB, acceptorTarget, channelCompliance } from "./compliance.js";

const certs = makeTestCerts();
const serverTls: TlsOptions = { cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert, requireClientCert: true };
const clientTls: TlsOptions = { cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert };
// The far socket's buffers (as for TCP), the thread's relay buffers and the 1 MiB port window.
const maxAhead = 24 * MiB + 3 * MiB;
/** This process's OS threads: each channel thread is one more while it runs. */
const threads = () => readdirSync("/proc/self/task").length;

/** The thread count once threads of earlier tests are gone (unchanged for 200 ms). */
async function settledThreads(): Promise<number> {
  for (let last = -1; ; ) {
    const now = threads();
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function threadsSettleTo(count: number): Promise<number> {
  for (let i = 0; i < 150 && threads() > count; i++) await new Promise((r) => setTimeout(r, 20));
  return threads();
}

const common = { maxAhead, peerMaySeeDestroyAsEnd: true, isLibraryError: isVfioMigrationError };

channelCompliance(
  "threadedDialer over TCP",
  acceptorTarget(
    () => tcpListen({ port: 0 }),
    (listener) => threadedDialer({ host: "127.0.0.1", port: (listener as SocketAcceptor).address.port }),
    { ...common, resourceTypes: ["TCPSocketWrap", "TCPServerWrap", "MessagePort"] },
  ),
);

channelCompliance(
  "threadedDialer over TLS",
  acceptorTarget(
    () => tlsListen({ port: 0, tls: serverTls }),
    (listener) => threadedDialer({ host: "127.0.0.1", port: (listener as SocketAcceptor).address.port, tls: clientTls }),
    { ...common, largeBytes: 32 * MiB, resourceTypes: ["TCPSocketWrap", "TCPServerWrap", "TLSWrap", "MessagePort"] },
  ),
);

describe("threadedDialer: failures keep their codes, threads end", () => {
  let server: SocketAcceptor;
  beforeAll(async () => {
    server = await tlsListen({ port: 0, tls: serverTls });
  });
  afterAll(() => server.close());

  it("a refused connection is ERR_CHANNEL_REFUSED, named once", async () => {
    const free = await tcpListen({ port: 0 });
    const port = free.address.port;
    await free.close();
    const err = await threadedDialer({ host: "127.0.0.1", port }).dial("multifd/3").then(() => undefined, (e: unknown) => e);
    expect(isVfioMigrationError(err)).toBe(true);
    expect(err).toMatchObject({ code: "ERR_CHANNEL_REFUSED" });
    expect((err as Error).message).toMatch(/^multifd\/3: connection refused/);
  });

  it("a certificate the server refuses is ERR_TLS_HANDSHAKE on both ends", async () => {
    const dialer = threadedDialer({ host: "127.0.0.1", port: server.address.port, tls: { ...certs.rogue, ca: certs.ca.cert } });
    const [dialed, accepted] = await Promise.allSettled([dialer.dial("main"), server.accept()]);
    expect(dialed).toMatchObject({ status: "rejected", reason: { code: "ERR_TLS_HANDSHAKE" } });
    expect(accepted).toMatchObject({ status: "rejected", reason: { code: "ERR_TLS_HANDSHAKE" } });
    expect(((dialed as PromiseRejectedResult).reason as Error).message).toMatch(/^main: /);
    expect(((dialed as PromiseRejectedResult).reason as Error).message).not.toMatch(/^main: main: /);
  });

  it("a rogue server is refused by the thread's client, typed", async () => {
    const rogue = await tlsListen({ port: 0, tls: { ...certs.rogue, ca: certs.ca.cert, requireClientCert: true } });
    try {
      const dialer = threadedDialer({ host: "127.0.0.1", port: rogue.address.port, tls: clientTls });
      const [dialed] = await Promise.allSettled([dialer.dial("main"), rogue.accept()]);
      expect(dialed).toMatchObject({ status: "rejected", reason: { code: "ERR_TLS_HANDSHAKE" } });
      expect(((dialed as PromiseRejectedResult).reason as Error).message).toMatch(/self[- ]signed/i);
    } finally {
      await rogue.close();
    }
  });

  it("an abort while the thread connects is ERR_CHANNEL_ABORTED, and the thread ends", async () => {
    const before = await settledThreads();
    // A listener that never accepts a TLS handshake: the TCP connect succeeds, the handshake waits.
    const silent = await tcpListen({ port: 0 });
    try {
      const controller = new AbortController();
      const dialing = threadedDialer({ host: "127.0.0.1", port: silent.address.port, tls: clientTls }).dial("main", controller.signal);
      // The thread's TCP connection arrived: its TLS handshake now waits on a peer that never answers.
      const accepted = await silent.accept();
      controller.abort();
      await expect(dialing).rejects.toMatchObject({ code: "ERR_CHANNEL_ABORTED" });
      accepted.destroy();
      expect(await threadsSettleTo(before)).toBe(before);
    } finally {
      await silent.close();
    }
  });

  it("runs one thread per channel, each ending once its channel is closed", async () => {
    const plain = await tcpListen({ port: 0 });
    try {
      const before = await settledThreads();
      const dialer = threadedDialer({ host: "127.0.0.1", port: plain.address.port });
      const pairs = [];
      // One at a time: accept() hands out connections in arrival order, not by name.
      for (const id of [0, 1, 2]) pairs.push(await Promise.all([dialer.dial(`multifd/${id}`), plain.accept()]));
      expect(threads()).toBeGreaterThanOrEqual(before + 3);
      for (const [a, b] of pairs) {
        await a.write(new Uint8Array([7]));
        expect(await b.read(new Uint8Array(1))).toBe(1);
        await Promise.all([a.end(), b.end()]);
        expect(await a.read(new Uint8Array(1))).toBe(0);
        expect(await b.read(new Uint8Array(1))).toBe(0);
      }
      await Promise.all(pairs.flat().map((c) => c.closed));
      expect(await threadsSettleTo(before)).toBe(before);
    } finally {
      await plain.close();
    }
  });
});
