// `--tls-cert/--tls-key/--tls-ca` (and `--tls-require-client-cert` on receive): with any of them
// every channel send dials or receive accepts (main and multifd) is TLS instead of plain TCP.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { tcpConnect, tcpListen, type SocketAcceptor } from "../transport/tcp.js";
import { tlsConnect, tlsListen, type TlsOptions } from "../transport/tls.js";
import { threadedDialer } from "../transport/threaded.js";
import type { Dialer } from "../transport/types.js";
import { usageError } from "./options.js";

export const TLS_SEND_OPTIONS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
} as const;

export const TLS_RECEIVE_OPTIONS = {
  ...TLS_SEND_OPTIONS,
  "tls-require-client-cert": { type: "boolean", default: false },
} as const;

export const TLS_SEND_USAGE = "[--tls-cert FILE --tls-key FILE] [--tls-ca FILE]";
export const TLS_RECEIVE_USAGE = "[--tls-cert FILE --tls-key FILE [--tls-ca FILE] [--tls-require-client-cert]]";

interface TlsArgs {
  "tls-cert"?: string;
  "tls-key"?: string;
  "tls-ca"?: string;
  "tls-require-client-cert"?: boolean;
}

function pemFile(file: string, option: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw usageError(`--${option}: cannot read '${file}': ${(err as Error).message}`);
  }
}

/** Reads `file` and checks that it holds what `option` takes (PEM certificates, or a PEM private key). */
function load(file: string | undefined, option: "tls-cert" | "tls-key" | "tls-ca"): string | undefined {
  if (file === undefined) return undefined;
  const pem = pemFile(file, option);
  try {
    if (option === "tls-key") createPrivateKey(pem);
    // Node skips what is not a certificate in a CA list, so a wrong file would only fail later, vaguely.
    else if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no '-----BEGIN CERTIFICATE-----' block");
    else new X509Certificate(pem);
  } catch (err) {
    const what = option === "tls-key" ? "a PEM private key" : "PEM certificates";
    throw usageError(`--${option}: '${file}' does not hold ${what}: ${(err as Error).message}`);
  }
  return pem;
}

/**
 * The TLS options of one end, or undefined for plain TCP. The files are read and checked here (a
 * file that is not PEM, or a key that does not match its certificate, is a usage error naming the
 * file), so that a bad option never gets as far as a half-opened migration.
 */
export function tlsFrom(args: TlsArgs, side: "send" | "receive"): TlsOptions | undefined {
  const requireClientCert = args["tls-require-client-cert"] ?? false;
  const { "tls-cert": certFile, "tls-key": keyFile, "tls-ca": caFile } = args;
  if (certFile === undefined && keyFile === undefined && caFile === undefined && !requireClientCert) return undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw usageError(certFile === undefined ? "--tls-key needs --tls-cert (the certificate of that key)" : "--tls-cert needs --tls-key (its private key)");
  }
  if (side === "receive" && certFile === undefined) throw usageError("receive with TLS needs --tls-cert and --tls-key (the server's certificate)");
  // Without a CA Node would trust any publicly signed client certificate: never what mutual auth means here.
  if (requireClientCert && caFile === undefined) throw usageError("--tls-require-client-cert needs --tls-ca (the CA that signs the clients' certificates)");
  const tls: TlsOptions = {
    cert: load(certFile, "tls-cert"),
    key: load(keyFile, "tls-key"),
    ca: load(caFile, "tls-ca"),
    requireClientCert: side === "receive" ? requireClientCert : undefined,
  };
  try {
    if (tls.cert !== undefined) createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (err) {
    throw usageError(`--tls-key '${keyFile}' is not the key of --tls-cert '${certFile}': ${(err as Error).message}`);
  }
  return tls;
}

/** send's channels: TLS when `tls` is set, else TCP; each on a worker thread of its own with `threads`. */
export function sourceDialer(connect: { host: string; port: number }, tls: TlsOptions | undefined, threads = false): Dialer {
  if (threads) return threadedDialer({ ...connect, tls });
  return tls === undefined ? tcpConnect(connect) : tlsConnect({ ...connect, tls });
}

/** receive's listener: TLS when `tls` is set, else TCP. */
export function destinationAcceptor(listen: { host: string; port: number }, tls: TlsOptions | undefined): Promise<SocketAcceptor> {
  return tls === undefined ? tcpListen(listen) : tlsListen({ ...listen, tls });
}
