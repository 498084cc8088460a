// What `vfio-migration inspect` reports about a stream: it detects a main channel or a multifd channel
// by its first be32 (anything else is read as a return path) and lists what it holds, in the JSON
// shapes of issue 2 (like QEMU's analyze-migration.py).
import { DEFAULT_MAX_PACKET_BYTES, MULTIFD_MAGIC, QEMU_VM_FILE_MAGIC } from "./constants.js";
import { WireFormatError } from "./errors.js";
import type { InspectPacket, InspectRamPacket } from "./inspect-multifd.js";
import type { InspectReturnPathMessage } from "./inspect-return-path.js";
import { headBytesWanted, inspectChannelBatches, type InspectChannelOptions } from "./inspect-channel.js";
import { inspectMainStream, type InspectMainOptions } from "./inspect-main.js";
import type { InspectMainRecord, InspectMarker } from "./qemu-main.js";

export type { InspectMainRecord, InspectMarker, InspectPacket, InspectRamPacket };

export type Inspection =
  | { kind: "main"; records: InspectMainRecord[] }
  | { kind: "multifd"; channelId: number; packets: (InspectPacket | InspectRamPacket)[] }
  | { kind: "return-path"; messages: InspectReturnPathMessage[] };


/** Collects the head of a chunked source (as many bytes as `wanted` asks of what it has, fewer if it ends), then hands back everything. */
async function* withHead(source: AsyncIterable<Uint8Array>, wanted: (head: Uint8Array) => number, onHead: (head: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  const held: Uint8Array[] = [];
  let length = 0;
  let need = 4;
  let headDone = false;
  for await (const chunk of source) {
    if (headDone) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    length += chunk.length;
    while (!headDone && length >= need) {
      const head = concatChunks(held, length);
      const more = wanted(head);
      if (more > need) need = more;
      else {
        headDone = true;
        onHead(head);
        yield* held;
      }
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

/** What a stream is, by its first be32; neither magic is a return path if it parses as one (ReturnPathInspector says otherwise). */
export function streamKind(head: Uint8Array): "main" | "multifd" | "return-path" {
  if (head.length < 4) throw new WireFormatError("ERR_WIRE_TRUNCATED", `stream of ${head.length} bytes is too short to identify`, head.length);
  const magic = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
  if (magic === QEMU_VM_FILE_MAGIC) return "main";
  if (magic === MULTIFD_MAGIC) return "multifd";
  return "return-path";
}

async function* prepend(first: IteratorResult<Uint8Array>, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (!first.done) yield first.value;
  yield* rest;
}

/** Inspects a whole stream given as chunks. Throws WireFormatError for bad or truncated input. */
export async function inspectStream(
  source: AsyncIterable<Uint8Array>,
  options: InspectMainOptions & InspectChannelOptions = {},
): Promise<Inspection> {
  let kind: ReturnType<typeof streamKind> = "main";
  let head: Uint8Array = new Uint8Array(0);
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const chunks = withHead(source, (bytes) => headBytesWanted(bytes, maxPacketBytes), (bytes) => {
    kind = streamKind(bytes);
    head = bytes;
  });
  const first = await chunks.next();
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => chunks };
  if (kind === "main") {
    const records: InspectMainRecord[] = [];
    for await (const record of inspectMainStream(prepend(first, rest), options)) records.push(record);
    return { kind: "main", records };
  }
  let channelId = 0;
  const items: unknown[] = [];
  for await (const batch of inspectChannelBatches(kind, head, prepend(first, rest), options)) {
    if (batch.kind === "multifd") channelId = batch.channelId;
    for (const item of batch.items) items.push(item);
  }
  return kind === "multifd"
    ? { kind, channelId, packets: items as (InspectPacket | InspectRamPacket)[] }
    : { kind: "return-path", messages: items as InspectReturnPathMessage[] };
}
