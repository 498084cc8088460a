// `vfio-migration inspect FILE [--json] [--max-packet-bytes N]`: lists what a main or multifd stream holds.
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";
import { init } from "../../codec/wasm/load.js";
import { inspectStream, type InspectMarker, type Inspection } from "../../codec/inspect.js";
import { isWireFormatError } from "../../codec/errors.js";
import { isVfioMigrationError } from "../../errors.js";
import { printUsageError } from "../command.js";
import { integer, usageError } from "../options.js";

const USAGE = `usage: vfio-migration inspect FILE [--json] [--max-packet-bytes N]

Lists what a QEMU main or multifd channel stream holds: sections, markers and commands, or packets.
--max-packet-bytes caps one packet's payload or one main-channel chunk (default 16 MiB; QEMU has no cap); --json prints one object.`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  "max-packet-bytes": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

interface Args {
  file: string;
  json: boolean;
  maxPacketBytes?: number;
}

function parseArgv(argv: string[]): Args | "help" {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1) throw usageError(positionals.length === 0 ? "missing FILE" : `unexpected argument ${positionals[1]}`);
  const max = values["max-packet-bytes"];
  return { file: positionals[0], json: values.json, maxPacketBytes: max === undefined ? undefined : integer(max, "max-packet-bytes", 1, 2 ** 31 - 1) };
}

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

function markerText(m: InspectMarker): string {
  return "length" in m ? `${m.marker} ${m.length} bytes crc32c ${hex32(m.crc32c)}` : m.marker;
}

function table(result: Inspection): string {
  const lines: string[] = [];
  if (result.kind === "multifd") {
    lines.push(`multifd channel ${result.channelId}: ${result.packets.length} packets`);
    lines.push(["idx".padStart(10), "kind".padEnd(6), "length".padStart(10), "crc32c".padEnd(10), "device"].join("  "));
    for (const p of result.packets) {
      lines.push([String(p.idx).padStart(10), (p.config ? "config" : "data").padEnd(6), String(p.length).padStart(10), hex32(p.crc32c), `${p.idstr} #${p.instanceId}`].join("  "));
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
  let args: Args | "help";
  try {
    args = parseArgv(argv);
  } catch (err) {
    return printUsageError(err, argv.includes("--json"), USAGE);
  }
  if (args === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  try {
    await init();
    const result = await inspectStream(createReadStream(args.file), { maxPacketBytes: args.maxPacketBytes });
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
