// Test certificates made at test time with Debian's openssl (never committed keys): a CA, a server
// and a client certificate it signed, and a rogue self-signed certificate for the same names.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCerts {
  ca: KeyPair;
  server: KeyPair;
  client: KeyPair;
  rogue: KeyPair;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1";

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function signed(dir: string, name: string, usage: string): void {
  writeFileSync(join(dir, `${name}.ext`), `${NAMES}\nextendedKeyUsage=${usage}\n`);
  openssl(dir, ["req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=vfio-migration test ${name}`]);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`]);
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "vfio-migration-certs-"));
  try {
    openssl(dir, ["req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=vfio-migration test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    signed(dir, "server", "serverAuth");
    signed(dir, "client", "clientAuth");
    openssl(dir, ["req", "-x509", ...EC, "-keyout", "rogue.key", "-out", "rogue.crt", "-days", "2", "-subj", "/CN=vfio-migration rogue",
      "-addext", NAMES]);
    const pair = (name: string): KeyPair => ({
      cert: readFileSync(join(dir, `${name}.crt`), "utf8"),
      key: readFileSync(join(dir, `${name}.key`), "utf8"),
    });
    return { ca: pair("ca"), server: pair("server"), client: pair("client"), rogue: pair("rogue") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
