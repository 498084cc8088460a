// `vfio-migration inspect FILE [--json] [--max-packet-bytes N]`: lists what a main or multifd stream holds.
import { createReadStream } from "node:fs";
import { init } from "../../codec/wasm/load.js";
import { inspectStream, type InspectMarker, type InspectRamPacket, type Inspection } from "../../codec/inspect.js";
import type { InspectReturnPathMessage } from "../../codec/inspect-return-path.js";
import { isWireFormatError } from "../../codec/errors.js";
import { isVfioMigrationError } from "../../errors.js";

const USAGE = "usage: vfio-migration inspect FILE [--json] [--max-packet-bytes N] [--qemu-version X.Y]";

interface Args {
  file: string;
  json: boolean;
  maxPacketBytes?: number;
  /** The QEMU that wrote the stream, where its layout does not say (multifd RAM packets). */
  qemuVersion?: string;
}

function parseArgs(argv: string[]): Args | string {
  let file: string | undefined;
  let json = false;
  let maxPacketBytes: number | undefined;
  let qemuVersion: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") json = true;
    else if (arg === "--max-packet-bytes") {
      maxPacketBytes = Number(argv[++i]);
      if (!Number.isInteger(maxPacketBytes) || maxPacketBytes <= 0) return `--max-packet-bytes needs a positive integer`;
    } else if (arg === "--qemu-version") {
      qemuVersion = argv[++i];
      if (!/^\d+\.\d+$/.test(qemuVersion ?? "")) return `--qemu-version needs MAJOR.MINOR, e.g. 7.2`;
    } else if (arg.startsWith("-")) return `unknown option ${arg}`;
    else if (file === undefined) file = arg;
    else return `unexpected argument ${arg}`;
  }
  return file === undefined ? "missing FILE" : { file, json, maxPacketBytes, qemuVersion };
}

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

function markerText(m: InspectMarker): string {
  return "length" in m ? `${m.marker} ${m.length} bytes crc32c ${hex32(m.crc32c)}` : m.marker;
}

/** A RAM packet in the device-state packets' columns: its packet number where they have idx. */
function ramPacketLine({ ram }: InspectRamPacket): string {
  const pages = `${ram.normalPages} pages${ram.zeroPages === undefined ? "" : ` + ${ram.zeroPages} zero`}`;
  const what = [ram.sync ? "SYNC" : "", ram.compression === "none" ? "" : ram.compression, ram.block ?? ""].filter(Boolean).join(" ");
  return [String(ram.packetNum).padStart(10), "ram".padEnd(6), pages.padStart(10), what].join("  ");
}

/** One line per message: its type, then its fields as name=value. */
function returnPathTable(messages: InspectReturnPathMessage[]): string {
  const lines = [`return path: ${messages.length} messages`];
  for (const { type, ...fields } of messages) {
    lines.push([type.toUpperCase().padEnd(14), ...Object.entries(fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`)].join(" ").trimEnd());
  }
  return lines.join("\n");
}

function table(result: Inspection): string {
  if (result.kind === "return-path") return returnPathTable(result.messages);
  const lines: string[] = [];
  if (result.kind === "multifd") {
    lines.push(`multifd channel ${result.channelId}: ${result.packets.length} packets`);
    lines.push(["idx".padStart(10), "kind".padEnd(6), "length".padStart(10), "crc32c".padEnd(10), "device"].join("  "));
    for (const p of result.packets) {
      if ("ram" in p) lines.push(ramPacketLine(p));
      else lines.push([String(p.idx).padStart(10), (p.config ? "config" : "data").padEnd(6), String(p.length).padStart(10), hex32(p.crc32c), `${p.idstr} #${p.instanceId}`].join("  "));
    }
    return lines.join("\n");
  }
  lines.push(`main channel: ${result.records.length} records`);
  for (const r of result.records) {
    switch (r.type) {
      case "start":
      case "full":
        lines.push(`${r.type.toUpperCase().padEnd(8)} section ${r.sectionId} ${r.idstr} instance ${r.instanceId} version ${r.version}`);
        break;
      case "part":
      case "end":
        lines.push(`${r.type.toUpperCase().padEnd(8)} section ${r.sectionId}`);
        break;
      case "command":
        lines.push(`COMMAND  ${r.command}`);
        break;
      case "eof":
        lines.push("EOF");
        break;
    }
    if ("markers" in r) for (const m of r.markers) lines.push(`           ${markerText(m)}`);
  }
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`vfio-migration inspect: ${args}\n${USAGE}\n`);
    return 2;
  }
  try {
    await init();
    const result = await inspectStream(createReadStream(args.file), { maxPacketBytes: args.maxPacketBytes, qemuVersion: args.qemuVersion });
    process.stdout.write((args.json ? JSON.stringify(result) : table(result)) + "\n");
    return 0;
  } catch (err) {
    // Our typed errors and the file system's (ENOENT, EISDIR, ...) are the user's input; anything else is a bug.
    const systemError = typeof (err as { syscall?: unknown })?.syscall === "string";
    if (!isVfioMigrationError(err) && !systemError) throw err;
    const code = isVfioMigrationError(err) ? err.code : "ERR_INSPECT_READ";
    const message = err instanceof Error ? err.message : String(err);
    const offset = isWireFormatError(err) ? err.offset : 0;
    if (args.json) process.stdout.write(JSON.stringify({ error: { code, message, offset } }) + "\n");
    else process.stderr.write(`vfio-migration inspect: ${code}: ${message}\n`);
    return 1;
  }
}
