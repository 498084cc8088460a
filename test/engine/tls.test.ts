import { afterAll, describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { migrate, receive, VmRunState } from "../../src/engine/index.js";
import { tlsConnect, tlsListen, type TlsOptions } from "../../src/transport/tls.js";
import type { Acceptor, Channel, Dialer } from "../../src/transport/types.js";
import { makeTestCerts } from "../support/certs.js";
import { simulatedPair, stateOf } from "./support.js";

await init();

const certs = makeTestCerts();
const server: TlsOptions = { ...certs.server, ca: certs.ca.cert };
const mutualServer: TlsOptions = { ...server, requireClientCert: true };
const client: TlsOptions = { ...certs.client, ca: certs.ca.cert };
const multifd = { channels: 3, mode: "on", checksum: true } as const;

const sockets = (): string[] => process.getActiveResourcesInfo().filter((k) => /^(TCP|TLS)/.test(k));

/** Node frees a closed handle a tick or two after its close callback. */
async function socketsReleased(): Promise<string[]> {
  for (let i = 0; i < 100 && sockets().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return sockets();
}

/** Both ends over real TLS on loopback; every channel the source dials is recorded by name. */
async function overTls(serverTls: TlsOptions, clientTls: TlsOptions) {
  const { sources, destinations } = simulatedPair(2, { stateSize: 3 << 20, initialBytes: 1 << 20 });
  const before = sources.map((d) => d.digest());
  const acceptor = await tlsListen({ port: 0, tls: serverTls });
  const tls = tlsConnect({ host: "127.0.0.1", port: acceptor.address.port, tls: clientTls });
  const dialed: string[] = [];
  const dialer: Dialer = { dial: (name, signal) => (dialed.push(name), tls.dial(name, signal)) };
  const accepted: Channel[] = [];
  const recording: Acceptor = { accept: async (signal) => { const c = await acceptor.accept(signal); accepted.push(c); return c; }, close: () => acceptor.close() };
  const vm = new VmRunState();
  const stop = new AbortController();
  const receiving = receive({ devices: destinations, acceptor: recording, multifd, signal: stop.signal });
  const source = await migrate({ devices: sources, dialer, vm, multifd, switchoverBandwidth: 1e9 });
  // A refused destination fails on its own; this only guards against a hang.
  const timer = setTimeout(() => stop.abort(), 5000);
  const destination = await receiving;
  clearTimeout(timer);
  await acceptor.close();
  return { source, destination, sources, destinations, before, vm, dialed, accepted };
}

describe("migration over TLS", () => {
  afterAll(async () => {
    expect(await socketsReleased()).toEqual([]);
  });

  for (const [what, serverTls, clientTls] of [
    ["server authentication", server, { ca: certs.ca.cert }],
    ["mutual authentication", mutualServer, client],
  ] as const) {
    it(`moves 2 devices with 3 multifd channels, ${what}; digests equal`, async () => {
      const r = await overTls(serverTls, clientTls);
      expect(r.source.error).toBeUndefined();
      expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
      // The main channel and every multifd channel went through the TLS dialer.
      expect(r.dialed.length).toBe(1 + multifd.channels);
      expect(r.source.bytes.multifd.length).toBe(multifd.channels);
      expect(r.source.bytes.multifd.every((n) => n > 0)).toBe(true);
      expect(r.destination.devices.map((d) => d.digest)).toEqual(r.before);
      expect(r.destinations.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
      expect(r.sources.map(stateOf)).toEqual(["STOP", "STOP"]);
      // The destination session leaves its multifd channels half-open after a completed migration
      // (over TCP too; an engine issue, reported): close them so that the other checks stay strict.
      for (const c of r.accepted) c.destroy();
      expect(await socketsReleased()).toEqual([]);
    });
  }

  for (const [what, serverTls, clientTls, sourceWhy] of [
    ["a client without a certificate", mutualServer, { ca: certs.ca.cert }, /TLS handshake|refused/],
    ["a client whose certificate the CA did not sign", mutualServer, { ...certs.rogue, ca: certs.ca.cert }, /TLS handshake|refused/],
    ["a server whose certificate the CA did not sign", { ...certs.rogue, ca: certs.ca.cert, requireClientCert: true }, client, /self[- ]signed/i],
  ] as const) {
    it(`refuses ${what} on both ends; the source resumes with its state intact`, async () => {
      const r = await overTls(serverTls, clientTls);
      expect(r.source.status).toBe("failed");
      expect(r.source.error).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
      expect(r.source.error!.message).toMatch(/^main: /);
      expect(r.source.error!.message).toMatch(sourceWhy);
      expect(r.vm.running).toBe(true);
      expect(r.sources.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
      expect(r.sources.map((d) => d.digest())).toEqual(r.before);
      expect(r.source.devices.map((d) => d.digest)).toEqual(r.before);

      expect(r.destination.status).toBe("failed");
      expect(r.destination.error).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
      expect(r.destination.error!.message).toMatch(/^tls\/127\.0\.0\.1:\d+: /);
      expect(r.destinations.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
      // The refusal came before any channel was handed out.
      expect(r.accepted).toEqual([]);
      expect(await socketsReleased()).toEqual([]);
    });
  }
});
