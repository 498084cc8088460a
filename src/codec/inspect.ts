// What `vfio-migration inspect` reports about a stream: it detects a main channel or a multifd channel
// by its first be32 and lists what it holds, in the JSON shapes of issue 2 (like QEMU's analyze-migration.py).
import { checksumOf, MAX_CHECKSUM_BYTES, type ChecksumAlgorithm } from "./checksum.js";
import { crc32c } from "./crc32c.js";
import { DEFAULT_MAX_PACKET_BYTES, DEVICE_STATE_HEADER_BYTES, MULTIFD_HELLO_BYTES, MULTIFD_MAGIC, MultifdFlag, QEMU_VM_FILE_MAGIC, VFIO_CONFIG_FLAG } from "./constants.js";
import { WireFormatError } from "./errors.js";
import { StreamDecoder } from "./stream-decoder.js";

export type InspectMarker = { marker: "DEV_DATA_STATE"; length: number; crc32c: number } | { marker: string };

export type InspectMainRecord =
  | { type: "start" | "full"; sectionId: number; idstr: string; instanceId: number; version: number; markers: InspectMarker[] }
  | { type: "part" | "end"; sectionId: number; markers: InspectMarker[] }
  | { type: "command"; command: string }
  | { type: "eof" };

export interface InspectPacket {
  idstr: string;
  instanceId: number;
  idx: number;
  config: boolean;
  /** Data bytes after the 12-byte VFIO header. */
  length: number;
  /** Unsigned CRC32C of those bytes. */
  crc32c: number;
}

export type Inspection = { kind: "main"; records: InspectMainRecord[] } | { kind: "multifd"; channelId: number; packets: InspectPacket[] };

/** Where a multifd channel's first packet header's flags lie: whether checksums were on is read from them. */
const FIRST_FLAGS_END = MULTIFD_HELLO_BYTES + 12;
const FIRST_SIZE_END = MULTIFD_HELLO_BYTES + DEVICE_STATE_HEADER_BYTES;

/**
 * Bytes of the stream's head that say how to decode it: a multifd channel with the CHECKSUM flag
 * needs its whole first packet (and the longest trailer), whose trailer tells which algorithm.
 */
function headBytesWanted(head: Uint8Array, maxPacketBytes: number): number {
  if (head.length < FIRST_FLAGS_END || streamKindOf(head) !== "multifd" || !(head[FIRST_FLAGS_END - 1] & MultifdFlag.CHECKSUM)) return FIRST_FLAGS_END;
  if (head.length < FIRST_SIZE_END) return FIRST_SIZE_END;
  const size = new DataView(head.buffer, head.byteOffset + FIRST_SIZE_END - 4, 4).getUint32(0);
  return FIRST_SIZE_END + Math.min(size, maxPacketBytes) + MAX_CHECKSUM_BYTES;
}

/** The algorithm whose trailer follows the first packet's payload (CRC32C when neither matches: the decoder then reports the mismatch). */
function firstPacketChecksum(head: Uint8Array): ChecksumAlgorithm {
  if (head.length < FIRST_SIZE_END) return "crc32c";
  const view = new DataView(head.buffer, head.byteOffset);
  const size = view.getUint32(FIRST_SIZE_END - 4);
  const payload = head.subarray(FIRST_SIZE_END, FIRST_SIZE_END + size);
  const trailerAt = FIRST_SIZE_END + size;
  if (trailerAt + 4 <= head.length && BigInt(view.getUint32(trailerAt)) === checksumOf("crc32c", payload)) return "crc32c";
  if (trailerAt + 8 <= head.length && view.getBigUint64(trailerAt) === checksumOf("xxh3", payload)) return "xxh3";
  return "crc32c";
}

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

function streamKindOf(head: Uint8Array): "main" | "multifd" {
  if (head.length < 4) throw new WireFormatError("ERR_WIRE_TRUNCATED", `stream of ${head.length} bytes is too short to identify`, head.length);
  const magic = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
  if (magic === QEMU_VM_FILE_MAGIC) return "main";
  if (magic === MULTIFD_MAGIC) return "multifd";
  throw new WireFormatError("ERR_WIRE_BAD_MAGIC", `first be32 0x${magic.toString(16).padStart(8, "0")} is neither a main channel (0x5145564d) nor a multifd channel (0x11223344)`, 0);
}

/** Inspects a whole stream given as chunks. Throws WireFormatError for bad or truncated input. */
export async function inspectStream(source: AsyncIterable<Uint8Array>, options: { maxPacketBytes?: number } = {}): Promise<Inspection> {
  let decoder: StreamDecoder<"main"> | StreamDecoder<"multifd"> | undefined;
  const main: InspectMainRecord[] = [];
  const packets: InspectPacket[] = [];
  let channelId = 0;
  let section: { markers: InspectMarker[] } | undefined;
  let dataMarker: { marker: "DEV_DATA_STATE"; length: number; crc32c: number } | undefined;
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;

  const pull = () => {
    if (decoder?.kind === "multifd") {
      for (const record of (decoder as StreamDecoder<"multifd">).records()) {
        if (record.type === "hello") channelId = record.channelId;
        else {
          const { idstr, instanceId, idx, flags, data: bytes } = record;
          packets.push({ idstr, instanceId, idx, config: (flags & VFIO_CONFIG_FLAG) !== 0, length: bytes.length, crc32c: crc32c(bytes) });
        }
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

  const chunks = withHead(source, (head) => headBytesWanted(head, maxPacketBytes), (head) => {
    const kind = streamKindOf(head);
    if (kind === "main") decoder = new StreamDecoder({ kind, maxPacketBytes });
    else {
      // inspect is not told what was negotiated: the first packet's flags say whether checksums
      // were on, and its trailer which algorithm.
      const flagged = head.length >= FIRST_FLAGS_END && (head[FIRST_FLAGS_END - 1] & MultifdFlag.CHECKSUM) !== 0;
      decoder = new StreamDecoder({ kind, maxPacketBytes, checksum: flagged ? firstPacketChecksum(head) : "none" });
    }
  });
  for await (const chunk of chunks) {
    decoder!.push(chunk);
    pull();
  }
  pull();
  decoder!.end();
  return decoder!.kind === "main" ? { kind: "main", records: main } : { kind: "multifd", channelId, packets };
}
