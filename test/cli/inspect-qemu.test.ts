// `inspect` on real QEMU 7.2 captures (test/fixtures/qemu): every stream reads, `--state` is QEMU's own
// analyze-migration.py output, RAM pages and blocks match independent walks, multifd RAM packets and
// return paths are listed. QEMU is not needed: the captures and expectations are committed.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expected, FIXTURES, manifest, streamBytes, streamPath, streams } from "./qemu-fixtures.js";
import { runCli } from "./run-cli.js";

/**
 * Checks that wait for the main-stream reader (branch `inspect`): each is skipped while listed here.
 * Remove an entry once that work is merged.
 */
const PENDING = new Set(["multifd", "return-path"]);
const check = (name: string) => (PENDING.has(name) ? it.skip : it);

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const runs = new Map<string, ReturnType<typeof runCli>>();

/** `inspect KEY --json FLAGS`, run once for all the checks that read it. */
async function inspectJson(key: string, ...flags: string[]) {
  const args = ["inspect", streamPath(key), "--json", ...flags];
  if (!runs.has(args.join(" "))) runs.set(args.join(" "), runCli(args));
  const run = await runs.get(args.join(" "))!;
  expect([run.code, run.stderr], run.stdout.slice(0, 500)).toEqual([0, ""]);
  return JSON.parse(run.stdout);
}

describe("the QEMU 7.2 fixtures", () => {
  it("are the streams the manifest lists, each stored under 1 MiB", () => {
    const listed = Object.values(manifest.captures).flatMap((c) => Object.entries(c.files));
    expect(listed.length).toBe(Object.keys(expected).length);
    for (const [file, { bytes, sha256: digest }] of listed) {
      expect(statSync(join(FIXTURES, file)).size).toBeLessThan(1 << 20);
      const key = file.replace(/\.gz$/, "");
      expect(expected[key], key).toBeDefined();
      const stream = streamBytes(key);
      expect([stream.length, sha256(stream)], key).toEqual([bytes, digest]);
    }
  });

  it("rebuild SeaBIOS's bios-256k.bin as the pc.bios block of every main stream", () => {
    expect(manifest.packages.seabios).toBe("1.16.2-1");
    for (const [key, e] of streams("main")) {
      expect((e.blockSha256WithChannels ?? e.blockSha256)?.["pc.bios"], key).toBe(manifest.seabios.sha256);
    }
    // Where Debian's seabios is installed, the recorded digest is that file's.
    if (existsSync(manifest.seabios.path)) expect(sha256(readFileSync(manifest.seabios.path))).toBe(manifest.seabios.sha256);
  });

  it("say which streams analyze-migration.py 7.2 reads: 9 main streams, none of the others", () => {
    const read = streams().filter(([, e]) => "state" in e.analyzeMigration).map(([key]) => key);
    expect(read.sort()).toEqual([
      "pc-multifd-zlib/main.out.bin", "pc-multifd-zstd/main.out.bin", "pc-multifd/main.out.bin", "pc-no-configuration.bin", "pc-no-footer.bin",
      "pc-paused.bin", "pc-ran.bin", "q35-paused.bin", "q35-ran.bin",
    ]);
  });
});

describe.concurrent("inspect reads what QEMU 7.2 writes", () => {
  for (const [key, e] of streams("main")) {
    // analyze-migration.py lists one key per section id; the stream without a description has pc-paused's sections.
    const stateFile = "state" in e.analyzeMigration ? e.analyzeMigration.state : "pc-paused.state.json";
    check("main --json")(`${key}: --json exit 0, every section, EOF`, async () => {
      const result = await inspectJson(key);
      expect(result.kind).toBe("main");
      const records = result.records as { type: string; sectionId?: number }[];
      expect(records.some((r) => r.type === "eof")).toBe(true);
      const ids = new Set(records.filter((r) => r.type === "start" || r.type === "full").map((r) => r.sectionId));
      const state = JSON.parse(readFileSync(join(FIXTURES, stateFile), "utf8")) as Record<string, unknown>;
      expect([...ids].sort((a, b) => a! - b!)).toEqual(Object.keys(state).map((k) => Number(/\((\d+)\)$/.exec(k)![1])).sort((a, b) => a - b));
    });
  }

  for (const [key, e] of streams("main")) {
    if (!("state" in e.analyzeMigration)) continue;
    const stateFile = e.analyzeMigration.state;
    check("--state")(`${key}: --state prints what analyze-migration.py -d state prints`, async () => {
      const run = await runCli(["inspect", streamPath(key), "--state"]);
      expect([run.code, run.stderr]).toEqual([0, ""]);
      // Same keys in the same order, same nesting, same value strings.
      const want = JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, stateFile), "utf8")));
      expect(JSON.stringify(JSON.parse(run.stdout))).toBe(want);
    });
  }

  for (const [key, e] of streams("main")) {
    check("ram pages")(`${key}: RAM page records as the independent walk counted them`, async () => {
      const { records } = await inspectJson(key);
      const ram = records.filter((r: { ram?: unknown }) => r.ram) as { ram: { zeroPages: number; normalPages: number } }[];
      const sum = (f: "zeroPages" | "normalPages") => ram.reduce((n, r) => n + r.ram[f], 0);
      const counts = Object.values(e.ramPages!);
      expect({ zeroPages: sum("zeroPages"), normalPages: sum("normalPages") }).toEqual({
        zeroPages: counts.reduce((n, c) => n + (c.zeroPages ?? 0), 0),
        normalPages: counts.reduce((n, c) => n + c.normalPages, 0),
      });
    });
  }

  for (const [key, e] of streams("main")) {
    if (!e.commands?.length) continue;
    check("commands")(`${key}: lists its commands`, async () => {
      const { records } = await inspectJson(key);
      const commands = records.filter((r: { type: string }) => r.type === "command").map((r: { command: string }) => r.command);
      expect(commands).toEqual(e.commands!.map((c) => c.command));
    });
  }

  for (const key of ["pc-paused.bin", "pc-ran.bin", "q35-ran.bin", "pc-no-description.bin"]) {
    check("--extract")(`${key}: --extract writes every RAM block, pc.bios equal to SeaBIOS's`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "vfio-extract-"));
      const run = await runCli(["inspect", streamPath(key), "--extract", dir]);
      expect([run.code, run.stderr]).toEqual([0, ""]);
      const blocks = Object.fromEntries(readdirSync(dir).map((f) => [f, sha256(readFileSync(join(dir, f)))]));
      const want = Object.fromEntries(Object.entries(expected[key].blockSha256!).map(([name, digest]) => [name.replace(/[^A-Za-z0-9._-]/g, "_"), digest]));
      expect(blocks).toEqual(want);
      expect(blocks["pc.bios"]).toBe(manifest.seabios.sha256);
    });
  }
});

describe.concurrent("inspect reads QEMU 7.2's multifd channels and return paths", () => {
  for (const [key, e] of streams("multifd")) {
    check("multifd")(`${key}: every RAM packet, as the independent walk read it`, async () => {
      const result = await inspectJson(key, "--qemu-version", "7.2");
      expect([result.kind, result.channelId]).toEqual(["multifd", e.channelId]);
      const compression = (flags: number) => (["none", "zlib", "zstd"] as const)[(flags >> 1) & 7];
      expect(result.packets).toEqual(
        e.packets!.map((p) => ({
          ram: {
            ...(p.block === null ? {} : { block: p.block }),
            normalPages: p.normalPages,
            packetNum: p.packetNum,
            sync: (p.flags & 1) === 1,
            compression: compression(p.flags),
          },
        })),
      );
    });
  }

  for (const [key, e] of streams("return-path")) {
    check("return-path")(`${key}: its messages`, async () => {
      const result = await inspectJson(key);
      expect(result.kind).toBe("return-path");
      expect(result.messages.map((m: { type: string }) => m.type)).toEqual(e.messages!.map((m) => m.type.toLowerCase()));
    });
  }
});
