// What `vfio-migration inspect` reports about a stream: it detects a main channel or a multifd channel
// by its first be32 (anything else is read as a return path) and lists what it holds, in the JSON
// shapes of issue 2 (like QEMU's analyze-migration.py).
import { DEFAULT_MAX_PACKET_BYTES, MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, MultifdFlag, QEMU_VM_FILE_MAGIC } from "./constants.js";
import { WireFormatError } from "./errors.js";
import { inspectMultifdPacket, multifdRamLayout, type InspectPacket, type InspectRamPacket } from "./inspect-multifd.js";
import { ReturnPathInspector, type InspectReturnPathMessage } from "./inspect-return-path.js";
import { StreamDecoder } from "./stream-decoder.js";
import type { MultifdRamRecord } from "./decode-multifd.js";
import { inspectMainStream, type InspectMainOptions } from "./inspect-main.js";
import type { InspectMainRecord, InspectMarker } from "./qemu-main.js";

export type { InspectMainRecord, InspectMarker, InspectPacket, InspectRamPacket };

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
  options: InspectMainOptions & {
    /** Selects the multifd RAM packet layout; unset: the newest. */
    qemuVersion?: string;
    /** Each multifd RAM packet, in order; reading waits for what it returns. */
    onRamPacket?: (packet: MultifdRamRecord) => void | Promise<void>;
  } = {},
): Promise<Inspection> {
  let decoder: StreamDecoder<"multifd"> | ReturnPathInspector | undefined;
  let mainStream = false;
  const packets: (InspectPacket | InspectRamPacket)[] = [];
  let channelId = 0;
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;

  const pull = async () => {
    if (decoder instanceof StreamDecoder) {
      for (const record of decoder.records()) {
        if (record.type === "hello") channelId = record.channelId;
        else packets.push(inspectMultifdPacket(record));
        if (record.type === "ram" && options.onRamPacket) await options.onRamPacket(record);
      }
    }
  };

  const chunks = withHead(source, FIRST_FLAGS_END, (head) => {
    const kind = streamKind(head);
    if (kind === "main") mainStream = true;
    else if (kind === "return-path") decoder = new ReturnPathInspector();
    else {
      // inspect is not told whether checksums were negotiated: the first packet's flags say so.
      const checksum = head.length >= FIRST_FLAGS_END && (head[FIRST_FLAGS_END - 1] & MultifdFlag.CHECKSUM) !== 0;
      decoder = new StreamDecoder({ kind: "multifd", maxPacketBytes, checksum, ram: multifdRamLayout(options.qemuVersion) });
    }
  });
  const first = await chunks.next();
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => chunks };
  if (mainStream) {
    const records: InspectMainRecord[] = [];
    for await (const record of inspectMainStream(prepend(first, rest), options)) records.push(record);
    return { kind: "main", records };
  }
  if (!first.done) {
    decoder!.push(first.value);
    await pull();
  }
  for await (const chunk of rest) {
    decoder!.push(chunk);
    await pull();
  }
  await pull();
  decoder!.end();
  if (decoder instanceof ReturnPathInspector) return { kind: "return-path", messages: decoder.messages };
  return { kind: "multifd", channelId, packets };
}
