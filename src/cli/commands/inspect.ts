// `vfio-migration inspect FILE [--json | --state | --desc] [--extract DIR] [--max-packet-bytes N]`: lists what
// a main or multifd stream holds; on a main stream, prints what QEMU's analyze-migration.py prints too.
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { init } from "../../codec/wasm/load.js";
import { streamKind, type InspectMarker } from "../../codec/inspect.js";
import { FIRST_FLAGS_END, headBytesWanted } from "../../codec/inspect-channel.js";
import { DEFAULT_MAX_PACKET_BYTES } from "../../codec/constants.js";
import { hex32, inspectChannel } from "./inspect-channel.js";
import { findVmDescription, inspectMainBatches } from "../../codec/inspect-main.js";
import { MAX_INSPECT_DESCRIPTION_BYTES, type InspectMainRecord } from "../../codec/qemu-main.js";
import { pythonJson, StateBuilder } from "../../codec/inspect-state.js";
import type { VmDescription } from "../../codec/qemu-vmstate.js";
import { isWireFormatError } from "../../codec/errors.js";
import { printUsageError } from "../command.js";
import { usageError } from "../options.js";
import { isVfioMigrationError, VfioMigrationError } from "../../errors.js";
import { RamExtractor } from "./inspect-extract.js";
import { Output } from "./inspect-output.js";

const USAGE = `usage: vfio-migration inspect FILE [--json | --state | --desc] [--extract DIR] [--max-packet-bytes N] [--qemu-version X.Y]

Lists what a QEMU main or multifd channel stream, or a return path, holds: sections, markers and commands,
packets, or messages. --json prints one object; --state and --desc print what QEMU's analyze-migration.py
prints (-d state, -d desc); --extract DIR writes the RAM pages (multifd channels' too); --max-packet-bytes
caps one packet's payload or one main-channel chunk (default 16 MiB; QEMU has no cap); --qemu-version
picks the multifd RAM packet layout of that QEMU (default the newest).`;

type Mode = "table" | "json" | "state" | "desc";

interface Args {
  file: string;
  mode: Mode;
  extract?: string;
  maxPacketBytes?: number;
  /** The QEMU that wrote the stream, where its layout does not say (multifd RAM packets). */
  qemuVersion?: string;
}

function parseArgs(argv: string[]): Args | string {
  let file: string | undefined;
  let mode: Mode = "table";
  let extract: string | undefined;
  let maxPacketBytes: number | undefined;
  let qemuVersion: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json" || arg === "--state" || arg === "--desc") {
      if (mode !== "table") return `${arg} and --${mode} exclude each other`;
      mode = arg.slice(2) as Mode;
    } else if (arg === "--extract") {
      extract = argv[++i];
      if (!extract) return "--extract needs a directory";
    } else if (arg === "--max-packet-bytes") {
      maxPacketBytes = Number(argv[++i]);
      if (!Number.isInteger(maxPacketBytes) || maxPacketBytes <= 0) return `--max-packet-bytes needs a positive integer`;
    } else if (arg === "--qemu-version") {
      qemuVersion = argv[++i];
      if (!/^\d+\.\d+$/.test(qemuVersion ?? "")) return `--qemu-version needs MAJOR.MINOR, e.g. 7.2`;
    } else if (arg.startsWith("-")) return `unknown option ${arg}`;
    else if (file === undefined) file = arg;
    else return `unexpected argument ${arg}`;
  }
  return file === undefined ? "missing FILE" : { file, mode, extract, maxPacketBytes, qemuVersion };
}

function markerText(m: InspectMarker): string {
  return "length" in m ? `${m.marker} ${m.length} bytes crc32c ${hex32(m.crc32c)}` : m.marker;
}

function recordText(r: InspectMainRecord): string {
  const lines: string[] = [];
  switch (r.type) {
    case "start":
    case "full":
      lines.push(`${r.type.toUpperCase().padEnd(8)} section ${r.sectionId} ${r.idstr} instance ${r.instanceId} version ${r.version}`);
      break;
    case "part":
    case "end":
      lines.push(`${r.type.toUpperCase().padEnd(8)} section ${r.sectionId}`);
      break;
    case "command": {
      const { type: _type, command, ...data } = r;
      lines.push(`COMMAND  ${command}${Object.keys(data).length ? ` ${JSON.stringify(data)}` : ""}`);
      break;
    }
    case "configuration":
      lines.push(`CONFIG   ${r.form === "qemu" ? `machine ${r.machine}${r.targetPageBits ? ` target-page-bits ${r.targetPageBits}` : ""}${r.capabilities ? ` capabilities ${r.capabilities.join(",")}` : ""}${r.uuid ? ` uuid ${r.uuid}` : ""}` : JSON.stringify(r.json)}`);
      break;
    case "eof":
      lines.push("EOF");
      break;
    case "vmdescription":
      lines.push(`VMDESC   ${r.length} bytes, ${r.devices} devices`);
      break;
  }
  if ("markers" in r) for (const m of r.markers) lines.push(`           ${markerText(m)}`);
  if ("ram" in r) {
    const { blocks, ...counts } = r.ram;
    if (blocks) for (const b of blocks) lines.push(`           block ${b.name} 0x${b.length.toString(16)} bytes${b.address !== undefined ? ` at 0x${b.address.toString(16)}` : ""}`);
    lines.push(`           ${Object.entries(counts).filter(([, v]) => v).map(([k, v]) => (v === true ? k : `${k} ${v}`)).join(", ")} (${r.length} bytes at ${r.offset})`);
  }
  if ("fields" in r) lines.push(`           ${r.fields ? `${Object.keys(r.fields).length} fields` : `fields not decoded: ${r.undecoded}`} (${r.length} bytes at ${r.offset})`);
  return lines.join("\n");
}

/** The VM description at the end of a file: its last bytes are read first, as analyze-migration.py does. */
async function readDescription(file: string): Promise<VmDescription | undefined> {
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, MAX_INSPECT_DESCRIPTION_BYTES + 6);
    const tail = new Uint8Array(length);
    await handle.read(tail, 0, length, size - length);
    return findVmDescription(tail);
  } finally {
    await handle.close();
  }
}

async function readHead(file: string, n: number): Promise<Uint8Array> {
  const handle = await open(file);
  try {
    const head = new Uint8Array(n);
    const { bytesRead } = await handle.read(head, 0, n, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A main stream, written out record by record as it is read. */
async function inspectMain(args: Args, out: Output): Promise<void> {
  const description = await readDescription(args.file);
  if (args.mode === "desc") {
    if (!description) throw new VfioMigrationError("ERR_INSPECT_NO_DESCRIPTION", `${args.file}: the stream carries no VM description`);
    await out.write(pythonJson(description) + "\n");
    return;
  }
  const extractor = args.extract ? new RamExtractor(args.extract) : undefined;
  const state = args.mode === "state" ? new StateBuilder() : undefined;
  try {
    const batches = inspectMainBatches(createReadStream(args.file), {
      description,
      maxPacketBytes: args.maxPacketBytes,
      onRam: extractor?.onRam,
    });
    if (args.mode === "json") await out.jsonDocument('{"kind":"main","records":[', batches, "]}");
    else {
      if (args.mode === "table") out.add("main channel\n");
      for await (const batch of batches) {
        for (const record of batch) {
          if (state) state.add(record);
          else out.add(recordText(record) + "\n");
        }
        await out.drain();
      }
      if (state) await out.write(pythonJson(state.toObject()) + "\n");
    }
  } finally {
    extractor?.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === "string") return printUsageError(usageError(args), argv.includes("--json"), USAGE);
  const out = new Output(process.stdout);
  try {
    await init();
    // Enough of the head to know the stream: a multifd channel's first packet flags say whether checksums
    // are on, and then its whole first packet's trailer says which algorithm.
    let head = await readHead(args.file, FIRST_FLAGS_END);
    for (let wanted = headBytesWanted(head, args.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES); wanted > head.length; ) {
      head = await readHead(args.file, wanted);
      const more = headBytesWanted(head, args.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES);
      // A file shorter than its head says: the reader reports the truncation.
      if (more <= wanted || head.length < wanted) break;
      wanted = more;
    }
    const kind = streamKind(head);
    if (kind === "main") await inspectMain(args, out);
    else if (args.mode === "state" || args.mode === "desc") {
      throw new VfioMigrationError("ERR_INSPECT_NOT_MAIN", `${args.file}: --state and --desc read main streams only`);
    } else await inspectChannel({ ...args, mode: args.mode }, out, kind, head);
    await out.flush();
    return 0;
  } catch (err) {
    // Our typed errors and the file system's (ENOENT, EISDIR, ...) are the user's input; anything else is a bug.
    const systemError = typeof (err as { syscall?: unknown })?.syscall === "string";
    if (!isVfioMigrationError(err) && !systemError) throw err;
    const code = isVfioMigrationError(err) ? err.code : "ERR_INSPECT_READ";
    const message = err instanceof Error ? err.message : String(err);
    const offset = isWireFormatError(err) ? err.offset : 0;
    if (args.mode === "json") await out.jsonError({ code, message, offset });
    else {
      await out.flush();
      process.stderr.write(`vfio-migration inspect: ${code}: ${message}\n`);
    }
    return 1;
  }
}
