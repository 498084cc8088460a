// What `vfio-migration inspect` reports about a stream: it detects a main channel or a multifd channel
// by its first be32 and lists what it holds, in the JSON shapes of issue 2 (like QEMU's analyze-migration.py).
import { crc32c } from "./crc32c.js";
import { DEFAULT_MAX_PACKET_BYTES, MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, MultifdFlag, QEMU_VM_FILE_MAGIC } from "./constants.js";
import { ReturnPathInspector, type InspectReturnPathMessage } from "./inspect-return-path.js";
import { inspectMultifdPacket, multifdRamLayout, type InspectPacket, type InspectRamPacket } from "./inspect-multifd.js";
import { WireFormatError } from "./errors.js";
import { StreamDecoder } from "./stream-decoder.js";

export type InspectMarker = { marker: "DEV_DATA_STATE"; length: number; crc32c: number } | { marker: string };

export type InspectMainRecord =
  | { type: "start" | "full"; sectionId: number; idstr: string; instanceId: number; version: number; markers: InspectMarker[] }
  | { type: "part" | "end"; sectionId: number; markers: InspectMarker[] }
  | { type: "command"; command: string }
  | { type: "eof" };

export type { InspectPacket, InspectRamPacket };

export type Inspection =
  | { kind: "main"; records: InspectMainRecord[] }
  | { kind: "multifd"; channelId: number; packets: (InspectPacket | InspectRamPacket)[] }
  | { kind: "return-path"; messages: InspectReturnPathMessage[] };

/** Where a multifd channel's first packet header's flags lie: whether checksums were on is read from them. */
const FIRST_FLAGS_END = MULTIFD_HELLO_BYTES + 12;

/** Collects the first `n` bytes of a chunked source (fewer if it ends), then hands back the rest. */
async function* withHead(source: AsyncIterable<Uint8Array>, n: number, onHead: (head: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  const held: Uint8Array[] = [];
  let length = 0;
  let headDone = false;
  for await (const chunk of source) {
    if (headDone) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    length += chunk.length;
    if (length >= n) {
      headDone = true;
      onHead(concatChunks(held, length));
      yield* held;
    }
  }
  if (!headDone) {
    onHead(concatChunks(held, length));
    yield* held;
  }
}

function concatChunks(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Neither magic: a return path if it parses as one (ReturnPathInspector says otherwise). */
function streamKind(head: Uint8Array): "main" | "multifd" | "return-path" {
  if (head.length < 4) throw new WireFormatError("ERR_WIRE_TRUNCATED", `stream of ${head.length} bytes is too short to identify`, head.length);
  const magic = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
  if (magic === QEMU_VM_FILE_MAGIC) return "main";
  if (magic === MULTIFD_MAGIC) return "multifd";
  return "return-path";
}

/** Inspects a whole stream given as chunks. Throws WireFormatError for bad or truncated input. */
export async function inspectStream(source: AsyncIterable<Uint8Array>, options: { maxPacketBytes?: number; /** Selects the multifd RAM packet layout; unset: the newest. */ qemuVersion?: string } = {}): Promise<Inspection> {
  let decoder: StreamDecoder<"main"> | StreamDecoder<"multifd"> | ReturnPathInspector | undefined;
  const main: InspectMainRecord[] = [];
  const packets: (InspectPacket | InspectRamPacket)[] = [];
  let channelId = 0;
  let section: { markers: InspectMarker[] } | undefined;
  let dataMarker: { marker: "DEV_DATA_STATE"; length: number; crc32c: number } | undefined;
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;

  const pull = () => {
    if (decoder instanceof ReturnPathInspector) return;
    if (decoder?.kind === "multifd") {
      for (const record of (decoder as StreamDecoder<"multifd">).records()) {
        if (record.type === "hello") channelId = record.channelId;
        else packets.push(inspectMultifdPacket(record));
      }
      return;
    }
    for (const record of (decoder as StreamDecoder<"main">).records()) {
      switch (record.type) {
        case "start":
        case "full":
        case "part":
        case "end": {
          const { offset: _offset, ...fields } = record;
          section = { ...fields, markers: [] };
          main.push(section as InspectMainRecord);
          break;
        }
        case "marker":
          if (record.marker === "DEV_DATA_STATE") {
            dataMarker = { marker: "DEV_DATA_STATE", length: record.length ?? 0, crc32c: 0 };
            section?.markers.push(dataMarker);
          } else section?.markers.push({ marker: record.marker });
          break;
        case "data":
          dataMarker!.crc32c = crc32c(record.bytes, dataMarker!.crc32c);
          break;
        case "command":
          main.push({ type: "command", command: record.command });
          break;
        case "eof":
          main.push({ type: "eof" });
          break;
      }
    }
  };

  const chunks = withHead(source, FIRST_FLAGS_END, (head) => {
    const kind = streamKind(head);
    if (kind === "return-path") decoder = new ReturnPathInspector();
    else if (kind === "main") decoder = new StreamDecoder({ kind, maxPacketBytes });
    else {
      // inspect is not told whether checksums were negotiated: the first packet's flags say so.
      const checksum = head.length >= FIRST_FLAGS_END && (head[FIRST_FLAGS_END - 1] & MultifdFlag.CHECKSUM) !== 0;
      decoder = new StreamDecoder({ kind, maxPacketBytes, checksum, ram: multifdRamLayout(options.qemuVersion) });
    }
  });
  for await (const chunk of chunks) {
    decoder!.push(chunk);
    pull();
  }
  pull();
  decoder!.end();
  if (decoder instanceof ReturnPathInspector) return { kind: "return-path", messages: decoder.messages };
  return decoder!.kind === "main" ? { kind: "main", records: main } : { kind: "multifd", channelId, packets };
}
