// The real QEMU 7.2 captures under test/fixtures/qemu (see its README.md) and what is expected of each:
// analyze-migration.py's outputs and independent walks, recorded in expected.json.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export const FIXTURES = "test/fixtures/qemu";

export interface PageCounts {
  zeroPages?: number;
  normalPages: number;
}

export interface ExpectedMultifdPacket {
  packetNum: number;
  flags: number;
  /** Null when the packet carries no page (its block name is then stale). */
  block: string | null;
  normalPages: number;
  nextPacketSize: number;
  pagesAlloc: number;
}

export interface ExpectedStream {
  kind: "main" | "multifd" | "return-path";
  /** `state`: the file holding analyze-migration.py's `-d state` output; `error`: how it failed. */
  analyzeMigration: { state: string } | { error: string };
  analyzeMigrationMemory?: { error: string };
  ramPages?: Record<string, PageCounts>;
  commands?: { command: string; data: string }[];
  blockSha256?: Record<string, string>;
  blockSha256WithChannels?: Record<string, string>;
  channelId?: number;
  packets?: ExpectedMultifdPacket[];
  messages?: { type: string; data: string }[];
}

export interface Manifest {
  qemu: string;
  packages: Record<string, string>;
  seabios: { path: string; bytes: number; sha256: string };
  captures: Record<string, { files: Record<string, { bytes: number; sha256: string }> }>;
}

export const manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as Manifest;
export const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as Record<string, ExpectedStream>;

const unpacked = mkdtempSync(join(tmpdir(), "vfio-qemu-fixtures-"));

/** The stream's bytes: gunzipped when it is stored as `.gz`. */
export function streamBytes(key: string): Uint8Array {
  const plain = join(FIXTURES, key);
  return existsSync(plain) ? readFileSync(plain) : gunzipSync(readFileSync(`${plain}.gz`));
}

/** A path the CLI can read the stream from: the fixture itself, or its gunzipped copy. */
export function streamPath(key: string): string {
  const plain = join(FIXTURES, key);
  if (existsSync(plain)) return plain;
  const copy = join(unpacked, key.replace(/\//g, "_"));
  if (!existsSync(copy)) writeFileSync(copy, streamBytes(key));
  return copy;
}

/** Every stream of a kind, as [key, expectation]. */
export function streams(kind?: ExpectedStream["kind"]): [string, ExpectedStream][] {
  return Object.entries(expected).filter(([, e]) => kind === undefined || e.kind === kind);
}
