import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "../../src/cli/command.js";
import { buildDevices } from "../../src/cli/devices.js";
import { DEVICE_OPTIONS } from "../../src/cli/options.js";
import { init } from "../../src/codec/index.js";
import { makeTestCerts } from "../support/certs.js";
import { cli } from "./in-process.js";
import { sendReceive } from "./run-cli.js";

await init();

// The test certificates as files, the way the CLI takes them.
const dir = mkdtempSync(join(tmpdir(), "vfio-migration-cli-tls-"));
const certs = makeTestCerts();
const file: Record<string, string> = {};
for (const [name, pair] of Object.entries(certs)) {
  for (const [kind, pem] of Object.entries(pair) as [string, string][]) {
    file[`${name}.${kind}`] = join(dir, `${name}.${kind}.pem`);
    writeFileSync(file[`${name}.${kind}`], pem);
  }
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serverTls = ["--tls-cert", file["server.cert"], "--tls-key", file["server.key"], "--tls-ca", file["ca.cert"]];
const clientTls = ["--tls-cert", file["client.cert"], "--tls-key", file["client.key"], "--tls-ca", file["ca.cert"]];
const deviceArgs = ["--devices", "2", "--state-size", "4MiB", "--initial-size", "1MiB"];
const devices = [...deviceArgs, "--channels", "3", "--multifd", "on", "--checksum", "crc32c"];
/** What the source's devices hold before any attempt: both processes build them from the same options. */
const initialDigests = buildDevices(parse(deviceArgs, DEVICE_OPTIONS)).map((d) => d.digest!());

/** Both processes with the test devices, plus each side's TLS options. */
function pair(receiveArgs: string[], sendArgs: string[]) {
  return sendReceive([...devices, ...receiveArgs], [...devices, "--switchover-bandwidth", "1GB", ...sendArgs]);
}

describe("vfio-migration send / receive over TLS as two processes", () => {
  for (const [what, receiveArgs, sendArgs] of [
    ["server authentication", serverTls, ["--tls-ca", file["ca.cert"]]],
    ["mutual authentication", [...serverTls, "--tls-require-client-cert"], clientTls],
    ["mutual authentication, each channel on a thread of its own", [...serverTls, "--tls-require-client-cert"], [...clientTls, "--channel-threads", "on"]],
  ] as const) {
    it(`migrates 2 devices over 3 multifd channels with ${what}; digests equal`, async () => {
      const { send, receive, source, destination } = await pair([...receiveArgs], [...sendArgs]);
      expect([send.code, receive.code]).toEqual([0, 0]);
      expect([source.status, destination.status]).toEqual(["completed", "completed"]);
      expect(source.bytes.multifd).toHaveLength(3);
      expect(source.bytes.multifd.every((n: number) => n > 0)).toBe(true);
      expect(source.devices.map((d: { sourceDigest: string }) => d.sourceDigest)).toEqual(initialDigests);
      expect(destination.devices.map((d: { destinationDigest: string }) => d.destinationDigest)).toEqual(initialDigests);
    });
  }

  for (const [what, receiveArgs, sendArgs, sourceWhy] of [
    ["a sender without a client certificate", [...serverTls, "--tls-require-client-cert"], ["--tls-ca", file["ca.cert"]], /^main: .*TLS/],
    ["a sender whose certificate the CA did not sign", [...serverTls, "--tls-require-client-cert"], ["--tls-cert", file["rogue.cert"], "--tls-key", file["rogue.key"], "--tls-ca", file["ca.cert"]], /^main: .*TLS/],
    ["the same sender on channel threads", [...serverTls, "--tls-require-client-cert"], ["--tls-cert", file["rogue.cert"], "--tls-key", file["rogue.key"], "--tls-ca", file["ca.cert"], "--channel-threads", "on"], /^main: .*TLS/],
    ["a receiver whose certificate the CA did not sign", ["--tls-cert", file["rogue.cert"], "--tls-key", file["rogue.key"], "--tls-ca", file["ca.cert"]], clientTls, /^main: .*self[- ]signed/i],
    ["a sender speaking plain TCP to a TLS receiver", serverTls, [], /closed|reset/i],
  ] as const) {
    it(`refuses ${what}: both exit 1 with the error in --json; the source stays RUNNING, state intact`, async () => {
      const { send, receive, source, destination } = await pair([...receiveArgs], [...sendArgs]);
      expect([send.code, receive.code]).toEqual([1, 1]);
      expect(source.status).toBe("failed");
      expect(source.error.message).toMatch(sourceWhy);
      // A plain-TCP sender sees the receiver hang up (FIN, or RST when its bytes are unread); the others fail the handshake.
      expect(source.error.code).toMatch(sendArgs.length > 0 ? /^ERR_TLS_HANDSHAKE$/ : /^ERR_(PEER_CLOSED|CHANNEL_RESET)$/);
      expect(source.devices.map((d: { finalState: string }) => d.finalState)).toEqual(["RUNNING", "RUNNING"]);
      expect(source.devices.map((d: { sourceDigest: string }) => d.sourceDigest)).toEqual(initialDigests);
      expect(destination.status).toBe("failed");
      expect(destination.error.code).toBe("ERR_TLS_HANDSHAKE");
      expect(destination.error.message).toMatch(/^tls\/127\.0\.0\.1:\d+: /);
      // One line that names the cause, never OpenSSL's raw text with its source file and newline.
      for (const error of [source.error, destination.error]) expect(error.message).not.toMatch(/\n|openssl|\.c:\d+/);
      if (sendArgs.length === 0) {
        expect(destination.error.message).toMatch(/the peer does not speak TLS .*; use TLS on both ends or on neither$/);
        if (source.error.code === "ERR_PEER_CLOSED") expect(source.error.message).toMatch(/TLS on one end only\?/);
      }
    });
  }

  it("refuses a TLS sender to a plain receiver: the sender names TLS, the receiver drops the stranger and waits on", async () => {
    // A connection that does not begin with our magic never becomes the main channel (docs/reliability.md):
    // the plain receiver closes it and keeps waiting for a real source, here until its wait timeout.
    const { send, receive, source, destination } = await pair(["--wait-timeout", "3000"], ["--tls-ca", file["ca.cert"]]);
    expect([send.code, receive.code]).toEqual([1, 1]);
    expect(source.error.code).toBe("ERR_TLS_HANDSHAKE");
    expect(source.error.message).toMatch(/^main: TLS .*use TLS on both ends or on neither\)?$/);
    expect(source.error.message).not.toMatch(/\n|openssl|\.c:\d+/);
    expect(destination.error.code).toBe("ERR_ACCEPT_TIMEOUT");
  });
});

describe("TLS option errors", () => {
  const usage = async (command: "send" | "receive", args: string[]) => {
    const where = command === "send" ? ["--connect", "127.0.0.1:9"] : ["--listen", "127.0.0.1:0"];
    const r = await cli(command, ...where, ...args, "--json");
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe("ERR_CLI_USAGE");
    return error.message as string;
  };

  it("a key without its certificate, and a certificate without its key", async () => {
    expect(await usage("send", ["--tls-key", file["client.key"]])).toBe("--tls-key needs --tls-cert (the certificate of that key)");
    expect(await usage("receive", ["--tls-cert", file["server.cert"]])).toBe("--tls-cert needs --tls-key (its private key)");
  });

  it("receive without a certificate, and mutual auth without a CA", async () => {
    expect(await usage("receive", ["--tls-ca", file["ca.cert"]])).toMatch(/^receive with TLS needs --tls-cert and --tls-key/);
    expect(await usage("receive", ["--tls-cert", file["server.cert"], "--tls-key", file["server.key"], "--tls-require-client-cert"])).toMatch(/^--tls-require-client-cert needs --tls-ca/);
    expect(await usage("send", ["--tls-require-client-cert"])).toMatch(/Unknown option '--tls-require-client-cert'/);
  });

  it("names the file that cannot be read or holds the wrong thing", async () => {
    const missing = join(dir, "missing.pem");
    expect(await usage("send", ["--tls-ca", missing])).toBe(`--tls-ca: cannot read '${missing}': ENOENT: no such file or directory, open '${missing}'`);
    expect(await usage("send", ["--tls-ca", file["ca.key"]])).toMatch(new RegExp(`^--tls-ca: '${file["ca.key"]}' does not hold PEM certificates`));
    expect(await usage("receive", ["--tls-cert", file["server.key"], "--tls-key", file["server.key"]])).toMatch(new RegExp(`^--tls-cert: '${file["server.key"]}' does not hold PEM certificates`));
    expect(await usage("receive", ["--tls-cert", file["server.cert"], "--tls-key", file["server.cert"]])).toMatch(new RegExp(`^--tls-key: '${file["server.cert"]}' does not hold a PEM private key`));
  });

  it("--channel-threads takes on or off", async () => {
    expect(await usage("send", ["--channel-threads", "yes"])).toBe("--channel-threads: expected on or off, got 'yes'");
  });

  it("a key that is not the certificate's", async () => {
    expect(await usage("send", ["--tls-cert", file["client.cert"], "--tls-key", file["server.key"]])).toMatch(
      new RegExp(`^--tls-key '${file["server.key"]}' is not the key of --tls-cert '${file["client.cert"]}': .*key values mismatch`),
    );
  });
});
