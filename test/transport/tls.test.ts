import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tlsConnect, tlsListen, type TlsOptions } from "../../src/transport/tls.js";
import type { SocketAcceptor } from "../../src/transport/tcp.js";
import { makeTestCerts, type TestCerts } from "../support/certs.js";
import { MiB, acceptorTarget, channelCompliance, randomBytes, settlesWithin } from "./compliance.js";

const certs: TestCerts = makeTestCerts();
const serverTls: TlsOptions = { cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert, requireClientCert: true };
const clientTls: TlsOptions = { cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert };

channelCompliance(
  "tls (mutual authentication)",
  acceptorTarget(
    () => tlsListen({ port: 0, tls: serverTls }),
    (listener) => tlsConnect({ host: "127.0.0.1", port: (listener as SocketAcceptor).address.port, tls: clientTls }),
    { maxAhead: 24 * MiB, peerMaySeeDestroyAsEnd: true, resourceTypes: ["TCPSocketWrap", "TCPServerWrap", "TLSWrap"] },
  ),
);

describe("tls refusals", () => {
  let server: SocketAcceptor;
  beforeAll(async () => {
    server = await tlsListen({ port: 0, tls: serverTls });
  });
  afterAll(() => server.close());

  async function refusedBothWays(tlsOptions: TlsOptions, acceptor = server): Promise<[unknown, unknown]> {
    const dialer = tlsConnect({ host: "127.0.0.1", port: acceptor.address.port, tls: tlsOptions });
    const [dialed, accepted] = await Promise.allSettled([dialer.dial("main"), acceptor.accept()]);
    for (const r of [dialed, accepted]) if (r.status === "fulfilled") r.value.destroy();
    return [dialed.status === "rejected" ? dialed.reason : "dial succeeded", accepted.status === "rejected" ? accepted.reason : "accept succeeded"];
  }

  it("refuses a client without a certificate, typed on both ends", async () => {
    const [dialErr, acceptErr] = await refusedBothWays({ ca: certs.ca.cert });
    expect(dialErr).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
    expect((dialErr as Error).message).toMatch(/^main: /);
    expect(acceptErr).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
    expect((acceptErr as Error).message).toMatch(/^tls\/127\.0\.0\.1:\d+: /);
  });

  it("refuses a client whose self-signed certificate the CA did not sign", async () => {
    const [dialErr, acceptErr] = await refusedBothWays({ ...certs.rogue, ca: certs.ca.cert });
    expect(dialErr).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
    expect(acceptErr).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
  });

  it("a client refuses a rogue server, typed on both ends", async () => {
    const rogue = await tlsListen({ port: 0, tls: { ...certs.rogue, ca: certs.ca.cert, requireClientCert: true } });
    try {
      const [dialErr, acceptErr] = await refusedBothWays(clientTls, rogue);
      expect(dialErr).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
      expect((dialErr as Error).message).toMatch(/self[- ]signed/i);
      expect(acceptErr).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
    } finally {
      await rogue.close();
    }
  });

  it("stays open after a refusal and accepts the next valid client", async () => {
    await refusedBothWays({ ca: certs.ca.cert });
    const dialer = tlsConnect({ host: "127.0.0.1", port: server.address.port, tls: clientTls });
    const [a, b] = await Promise.all([dialer.dial("main"), server.accept()]);
    await a.write(new Uint8Array([42]));
    const buf = new Uint8Array(1);
    expect(await b.read(buf)).toBe(1);
    expect(buf[0]).toBe(42);
    a.destroy();
    b.destroy();
  });

  it("puts no plaintext on the wire", async () => {
    // A TCP relay between client and server records every byte that crosses it.
    const wire: Buffer[] = [];
    const relay = net.createServer((inbound) => {
      const outbound = net.connect(server.address.port, "127.0.0.1");
      inbound.on("data", (d) => wire.push(Buffer.from(d)));
      outbound.on("data", (d) => wire.push(Buffer.from(d)));
      inbound.pipe(outbound).pipe(inbound);
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
    const port = (relay.address() as net.AddressInfo).port;
    const plaintext = randomBytes(64 * 1024, 9);
    const dialer = tlsConnect({ host: "127.0.0.1", port, tls: { ...clientTls, servername: "localhost" } });
    const [a, b] = await Promise.all([dialer.dial("main"), server.accept()]);
    await a.write(plaintext);
    await b.write(plaintext);
    await Promise.all([a.end(), b.end()]);
    const got = new Uint8Array(plaintext.length + 1);
    let filled = 0;
    for (let n; (n = await b.read(got.subarray(filled))) > 0; ) filled += n;
    expect(filled).toBe(plaintext.length);
    expect(Buffer.compare(got.subarray(0, filled), plaintext)).toBe(0);
    while ((await a.read(new Uint8Array(MiB))) > 0);
    await Promise.all([a.closed, b.closed]);
    await new Promise((r) => relay.close(r));
    const recorded = Buffer.concat(wire);
    expect(recorded.length).toBeGreaterThan(2 * plaintext.length);
    // Any 32-byte window of the payload would show up if it crossed in the clear.
    for (let at = 0; at < plaintext.length; at += 4096) {
      expect(recorded.indexOf(Buffer.from(plaintext.subarray(at, at + 32)))).toBe(-1);
    }
  });
});

describe("tls acceptor close", () => {
  it("resolves while accepted channels stay open and usable", async () => {
    const acceptor = await tlsListen({ port: 0, tls: serverTls });
    const [a, b] = await Promise.all([tlsConnect({ host: "127.0.0.1", port: acceptor.address.port, tls: clientTls }).dial("main"), acceptor.accept()]);
    expect(await settlesWithin(acceptor.close(), 2000)).toBe(true);
    await a.write(new Uint8Array([7]));
    const buf = new Uint8Array(1);
    expect(await b.read(buf)).toBe(1);
    await expect(tlsConnect({ host: "127.0.0.1", port: acceptor.address.port, tls: clientTls }).dial("late")).rejects.toMatchObject({ code: "ERR_CHANNEL_REFUSED" });
    a.destroy();
    b.destroy();
  });
});
