// `inspect` on a multifd channel or a return path: its listing written out batch by batch as the file
// is read (a table, or one JSON document), and with `--extract` on a multifd channel, its RAM pages.
import { createReadStream } from "node:fs";
import { inspectChannelBatches, type ChannelBatch } from "../../codec/inspect-channel.js";
import type { InspectPacket, InspectRamPacket } from "../../codec/inspect-multifd.js";
import type { InspectReturnPathMessage } from "../../codec/inspect-return-path.js";
import { VfioMigrationError } from "../../errors.js";
import { MultifdRamExtractor } from "./inspect-extract-multifd.js";
import type { Output } from "./inspect-output.js";

export const hex32 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/** A RAM packet in the device-state packets' columns: its packet number where they have idx. */
function ramPacketLine({ ram }: InspectRamPacket): string {
  const pages = `${ram.normalPages} pages${ram.zeroPages === undefined ? "" : ` + ${ram.zeroPages} zero`}`;
  const what = [ram.sync ? "SYNC" : "", ram.compression === "none" ? "" : ram.compression, ram.block ?? ""].filter(Boolean).join(" ");
  return [String(ram.packetNum).padStart(10), "ram".padEnd(6), pages.padStart(10), what].join("  ");
}

function packetLine(p: InspectPacket | InspectRamPacket): string {
  if ("ram" in p) return ramPacketLine(p);
  return [String(p.idx).padStart(10), (p.config ? "config" : "data").padEnd(6), String(p.length).padStart(10), hex32(p.crc32c), `${p.idstr} #${p.instanceId}`].join("  ");
}

/** A return-path message: its type, then its fields as name=value. */
function messageLine({ type, ...fields }: InspectReturnPathMessage): string {
  return [type.toUpperCase().padEnd(14), ...Object.entries(fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`)].join(" ").trimEnd();
}

function heading(batch: ChannelBatch): string {
  if (batch.kind === "return-path") return "return path\n";
  return `multifd channel ${batch.channelId}\n${["idx".padStart(10), "kind".padEnd(6), "length".padStart(10), "crc32c".padEnd(10), "device"].join("  ")}\n`;
}

export interface ChannelArgs {
  file: string;
  mode: "table" | "json";
  extract?: string;
  maxPacketBytes?: number;
  qemuVersion?: string;
}

export async function inspectChannel(args: ChannelArgs, out: Output, kind: "multifd" | "return-path", head: Uint8Array): Promise<void> {
  if (args.extract && kind !== "multifd") throw new VfioMigrationError("ERR_INSPECT_NOT_MAIN", `${args.file}: --extract reads main streams and multifd channels only`);
  const extractor = args.extract ? new MultifdRamExtractor(args.extract) : undefined;
  try {
    const batches = inspectChannelBatches(kind, head, createReadStream(args.file), {
      maxPacketBytes: args.maxPacketBytes,
      qemuVersion: args.qemuVersion,
      onRamPacket: extractor?.onRamPacket,
    });
    let open = "";
    let count = 0;
    const items = (async function* () {
      for await (const batch of batches) {
        if (!open) {
          open = batch.kind === "multifd" ? `{"kind":"multifd","channelId":${batch.channelId},"packets":[` : `{"kind":"return-path","messages":[`;
          if (args.mode === "table") out.add(heading(batch));
        }
        count += batch.items.length;
        yield batch.items as (InspectPacket | InspectRamPacket | InspectReturnPathMessage)[];
      }
    })();
    if (args.mode === "json") await out.jsonDocument(() => open, items, "]}");
    else {
      for await (const batch of items) {
        for (const item of batch) out.add(("type" in item ? messageLine(item) : packetLine(item)) + "\n");
        await out.drain();
      }
      await out.write(`${count} ${kind === "multifd" ? "packets" : "messages"}\n`);
    }
  } finally {
    extractor?.close();
  }
}
