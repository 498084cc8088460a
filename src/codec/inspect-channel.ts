// `inspect` on a multifd channel or a return path: what it holds, handed out in batches as each chunk
// is read, so a listing of any length streams out in bounded memory.
import { checksumOf, MAX_CHECKSUM_BYTES, type ChecksumAlgorithm } from "./checksum.js";
import { DEVICE_STATE_HEADER_BYTES, MultifdFlag, MULTIFD_HELLO_BYTES, MULTIFD_MAGIC } from "./constants.js";
import type { MultifdRamRecord } from "./decode-multifd.js";
import { inspectMultifdPacket, multifdRamLayout, type InspectPacket, type InspectRamPacket } from "./inspect-multifd.js";
import { ReturnPathInspector, type InspectReturnPathMessage } from "./inspect-return-path.js";
import { StreamDecoder } from "./stream-decoder.js";

/** Where a multifd channel's first packet header's flags lie: whether checksums were on is read from them. */
export const FIRST_FLAGS_END = MULTIFD_HELLO_BYTES + 12;
const FIRST_SIZE_END = MULTIFD_HELLO_BYTES + DEVICE_STATE_HEADER_BYTES;

const isChecksummedMultifd = (head: Uint8Array): boolean =>
  head.length >= FIRST_FLAGS_END && new DataView(head.buffer, head.byteOffset, 4).getUint32(0) === MULTIFD_MAGIC && (head[FIRST_FLAGS_END - 1] & MultifdFlag.CHECKSUM) !== 0;

/**
 * Bytes of a stream's head that say how to decode it: a multifd channel with the CHECKSUM flag needs
 * its whole first packet (and the longest trailer), whose trailer tells which algorithm.
 */
export function headBytesWanted(head: Uint8Array, maxPacketBytes: number): number {
  if (!isChecksummedMultifd(head)) return FIRST_FLAGS_END;
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

export interface InspectChannelOptions {
  maxPacketBytes?: number;
  /** Selects the multifd RAM packet layout; unset: the newest. */
  qemuVersion?: string;
  /** Each multifd RAM packet, in order; reading waits for what it returns. */
  onRamPacket?: (packet: MultifdRamRecord) => void | Promise<void>;
}

export type ChannelBatch =
  | { kind: "multifd"; channelId: number; items: (InspectPacket | InspectRamPacket)[] }
  | { kind: "return-path"; items: InspectReturnPathMessage[] };

/**
 * The listing of a multifd channel or a return path, one batch per chunk read (the first may be
 * empty: it names the stream). `head`: the stream's first bytes, at least FIRST_FLAGS_END when it has them.
 */
export async function* inspectChannelBatches(
  kind: "multifd" | "return-path",
  head: Uint8Array,
  chunks: AsyncIterable<Uint8Array>,
  options: InspectChannelOptions = {},
): AsyncGenerator<ChannelBatch> {
  if (kind === "return-path") {
    const inspector = new ReturnPathInspector();
    yield { kind, items: [] };
    for await (const chunk of chunks) {
      // Messages before bad bytes are handed out first: the error comes with the next push or at the end.
      inspector.push(chunk);
      yield { kind, items: inspector.take() };
    }
    inspector.end();
    return;
  }
  // inspect is not told what was negotiated: the first packet's flags say whether checksums were on,
  // and its trailer which algorithm.
  const checksum = isChecksummedMultifd(head) ? firstPacketChecksum(head) : "none";
  const decoder = new StreamDecoder({ kind, maxPacketBytes: options.maxPacketBytes, checksum, ram: multifdRamLayout(options.qemuVersion) });
  let channelId: number | undefined;
  /** Bad bytes after good packets: thrown once those are handed out. */
  let failure: unknown;
  const pull = async () => {
    const items: (InspectPacket | InspectRamPacket)[] = [];
    try {
      for (const record of decoder.records()) {
        if (record.type === "hello") channelId = record.channelId;
        else items.push(inspectMultifdPacket(record));
        if (record.type === "ram" && options.onRamPacket) await options.onRamPacket(record);
      }
    } catch (err) {
      if (items.length === 0) throw err;
      failure = err;
    }
    return items;
  };
  for await (const chunk of chunks) {
    decoder.push(chunk);
    const items = await pull();
    // The hello comes first: until it is read there is nothing to name the channel by.
    if (channelId !== undefined) yield { kind, channelId, items };
    if (failure) throw failure;
  }
  const items = await pull();
  if (failure) {
    yield { kind, channelId: channelId!, items };
    throw failure;
  }
  decoder.end();
  yield { kind, channelId: channelId!, items };
}
