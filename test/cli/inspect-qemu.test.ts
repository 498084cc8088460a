// `inspect` on real QEMU 7.2 captures (test/fixtures/qemu): every stream reads, `--state` is QEMU's own
// analyze-migration.py output, RAM pages and blocks match independent walks, multifd RAM packets and
// return paths are listed. QEMU is not needed: the captures and expectations are committed.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expected, FIXTURES, manifest, streamBytes, streamPath, streams } from "./qemu-fixtures.js";
import { runCli } from "./run-cli.js";
import { init } from "../../src/codec/wasm/load.js";
import { inspectStream, type Inspection } from "../../src/codec/inspect.js";
import { findVmDescription, inspectMainBatches } from "../../src/codec/inspect-main.js";
import { RamExtractor } from "../../src/cli/commands/inspect-extract.js";
import { MultifdRamExtractor } from "../../src/cli/commands/inspect-extract-multifd.js";
import { MAX_INSPECT_DESCRIPTION_BYTES } from "../../src/codec/qemu-main.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const runs = new Map<string, ReturnType<typeof runCli>>();

/** `inspect KEY --json FLAGS` (the CLI), run once for all the checks that read it. */
async function inspectJson(key: string, ...flags: string[]) {
  const args = ["inspect", streamPath(key), "--json", ...flags];
  if (!runs.has(args.join(" "))) runs.set(args.join(" "), runCli(args));
  const run = await runs.get(args.join(" "))!;
  expect([run.code, run.stderr], run.stdout.slice(0, 500)).toEqual([0, ""]);
  return JSON.parse(run.stdout);
}

const inProcess = new Map<string, Promise<Inspection>>();

/** A main stream's VM description, found at its end as the CLI finds it. */
function descriptionOf(key: string) {
  if (expected[key].kind !== "main") return undefined;
  const bytes = streamBytes(key);
  return findVmDescription(bytes.subarray(Math.max(0, bytes.length - MAX_INSPECT_DESCRIPTION_BYTES - 6)));
}

/** `--extract DIR` of a main stream and then of its multifd channels, in this process. */
async function extractInProcess(keys: string[], dir: string): Promise<void> {
  await init();
  for (const key of keys) {
    if (expected[key].kind === "main") {
      const extractor = new RamExtractor(dir);
      for await (const _batch of inspectMainBatches(createReadStream(streamPath(key)), { description: descriptionOf(key), onRam: extractor.onRam }));
      extractor.close();
    } else {
      const extractor = new MultifdRamExtractor(dir);
      await inspectStream(createReadStream(streamPath(key)), { qemuVersion: "7.2", onRamPacket: extractor.onRamPacket });
      extractor.close();
    }
  }
}

/**
 * What `--json` prints, read in this process as the CLI reads it (the VM description from the file's
 * end first): a CLI run costs a Node start, and one CLI run below checks they agree.
 */
function inspectRecords(key: string, qemuVersion?: string): Promise<Inspection> {
  const id = `${key} ${qemuVersion}`;
  if (!inProcess.has(id)) {
    inProcess.set(
      id,
      (async () => {
        await init();
        return JSON.parse(JSON.stringify(await inspectStream(createReadStream(streamPath(key)), { description: descriptionOf(key), qemuVersion }))) as Inspection;
      })(),
    );
  }
  return inProcess.get(id)!;
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
    it(`${key}: --json lists every section and EOF`, async () => {
      const result = await inspectRecords(key);
      expect(result.kind).toBe("main");
      const records = (result as { records: { type: string; sectionId?: number }[] }).records;
      expect(records.some((r) => r.type === "eof")).toBe(true);
      const ids = new Set(records.filter((r) => r.type === "start" || r.type === "full").map((r) => r.sectionId));
      const state = JSON.parse(readFileSync(join(FIXTURES, stateFile), "utf8")) as Record<string, unknown>;
      expect([...ids].sort((a, b) => a! - b!)).toEqual(Object.keys(state).map((k) => Number(/\((\d+)\)$/.exec(k)![1])).sort((a, b) => a - b));
    });
  }

  it("pc-no-description.bin: the CLI's --json document is what the reader lists, exit 0", async () => {
    expect(await inspectJson("pc-no-description.bin")).toEqual(await inspectRecords("pc-no-description.bin"));
  });

  // Through the CLI on one stream of each machine: inspect-modes.test.ts checks all nine in process.
  for (const [key, e] of streams("main")) {
    if (!("state" in e.analyzeMigration) || !["pc-ran.bin", "q35-paused.bin"].includes(key)) continue;
    const stateFile = e.analyzeMigration.state;
    it(`${key}: --state prints what analyze-migration.py -d state prints`, async () => {
      const run = await runCli(["inspect", streamPath(key), "--state"]);
      expect([run.code, run.stderr]).toEqual([0, ""]);
      // Same keys in the same order, same nesting, same value strings.
      const want = JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, stateFile), "utf8")));
      expect(JSON.stringify(JSON.parse(run.stdout))).toBe(want);
    });
  }

  for (const [key, e] of streams("main")) {
    it(`${key}: RAM page records as the independent walk counted them`, async () => {
      const { records } = (await inspectRecords(key)) as { records: { ram?: unknown }[] };
      const ram = records.filter((r) => r.ram) as { ram: { zeroPages: number; normalPages: number } }[];
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
    it(`${key}: lists its commands`, async () => {
      const { records } = (await inspectRecords(key)) as { records: { type: string; command?: string }[] };
      const commands = records.filter((r) => r.type === "command").map((r) => r.command);
      expect(commands).toEqual(e.commands!.map((c) => c.command));
    });
  }

  // Two through the CLI, two in this process.
  for (const [key, cli] of [["pc-paused.bin", true], ["pc-ran.bin", false], ["q35-ran.bin", false], ["pc-no-description.bin", true]] as const) {
    it(`${key}: --extract writes every RAM block, pc.bios equal to SeaBIOS's`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "vfio-extract-"));
      if (cli) {
        const run = await runCli(["inspect", streamPath(key), "--extract", dir]);
        expect([run.code, run.stderr]).toEqual([0, ""]);
      } else await extractInProcess([key], dir);
      const blocks = Object.fromEntries(readdirSync(dir).map((f) => [f, sha256(readFileSync(join(dir, f)))]));
      const want = Object.fromEntries(Object.entries(expected[key].blockSha256!).map(([name, digest]) => [name.replace(/[^A-Za-z0-9._-]/g, "_"), digest]));
      expect(blocks).toEqual(want);
      expect(blocks["pc.bios"]).toBe(manifest.seabios.sha256);
    });
  }
});

/** Every file in `dir` by name, as sha256. */
function digests(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, sha256(readFileSync(join(dir, f)))]));
}

const byFileName = (blocks: Record<string, string>) => Object.fromEntries(Object.entries(blocks).map(([name, digest]) => [name.replace(/[^A-Za-z0-9._-]/g, "_"), digest]));

describe.concurrent("inspect reads QEMU 7.2's multifd channels and return paths", () => {
  // zlib through the CLI, the others in this process.
  for (const capture of ["pc-multifd", "pc-multifd-zlib", "pc-multifd-zstd"]) {
    it(`${capture}: --extract of the main stream, then of each channel, gives every block (pc.bios SeaBIOS's)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "vfio-extract-"));
      const keys = ["main.out.bin", "multifd-0.out.bin", "multifd-1.out.bin"].map((stream) => `${capture}/${stream}`);
      if (capture !== "pc-multifd-zlib") await extractInProcess(keys, dir);
      else {
        for (const key of keys) {
          const run = await runCli(["inspect", streamPath(key), "--extract", dir, "--qemu-version", "7.2"]);
          expect([key, run.code, run.stderr]).toEqual([key, 0, ""]);
        }
      }
      const blocks = digests(dir);
      expect(blocks).toEqual(byFileName(expected[`${capture}/main.out.bin`].blockSha256WithChannels!));
      expect(blocks["pc.bios"]).toBe(manifest.seabios.sha256);
    });
  }

  for (const [key, e] of streams("multifd")) {
    it(`${key}: every RAM packet, as the independent walk read it`, async () => {
      // One channel through the CLI, the others in this process.
      const result = (key === "pc-multifd-zlib/multifd-1.out.bin" ? await inspectJson(key, "--qemu-version", "7.2") : await inspectRecords(key, "7.2")) as { kind: string; channelId: number; packets: { ram: object }[] };
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
      // Without the version, the newest layout: 7.2's reserved bytes read as zero_pages 0.
      const newest = (await inspectRecords(key)) as { packets: { ram: object }[] };
      expect(newest.packets.map((p: { ram: object }) => p.ram)).toEqual(result.packets.map((p: { ram: object }) => ({ ...p.ram, zeroPages: 0 })));
      const pages: Record<string, { normalPages: number }> = {};
      for (const { ram } of result.packets as { ram: { block?: string; normalPages: number } }[]) {
        if (ram.block !== undefined) (pages[ram.block] ??= { normalPages: 0 }).normalPages += ram.normalPages;
      }
      expect(pages).toEqual(e.ramPages);
    });
  }

  for (const [key, e] of streams("return-path")) {
    it(`${key}: its messages`, async () => {
      const result = key === "pc-return-path/main.in.bin" ? await inspectJson(key) : await inspectRecords(key);
      expect(result.kind).toBe("return-path");
      // 7.2 sends PONG (be32 value) and SHUT (be32 status): the walk kept their data as hex.
      const field = { PONG: "value", SHUT: "status" } as Record<string, string>;
      expect(result.messages).toEqual(e.messages!.map((m) => ({ type: m.type.toLowerCase(), [field[m.type]]: parseInt(m.data, 16) })));
    });
  }
});
