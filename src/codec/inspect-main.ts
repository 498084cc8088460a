// Drives the main-stream reader over chunks as they arrive: records come out as they are read, and what
// is buffered is one record at most (a device section, a RAM page, a command), so memory stays bounded
// whatever the stream's size. Also finds the VM description at the end of a stream's bytes, which a
// file reader reads first (as analyze-migration.py does) so device sections can be decoded as they come.
import { ByteQueue } from "./byte-queue.js";
import { parseJsonBytes } from "./bytes.js";
import { DEFAULT_MAX_PACKET_BYTES, SectionType } from "./constants.js";
import { WireFormatError } from "./errors.js";
import { MAX_INSPECT_DESCRIPTION_BYTES, QemuMainReader, type InspectMainRecord, type QemuMainReaderOptions } from "./qemu-main.js";
import type { VmDescription } from "./qemu-vmstate.js";

/** Bound on one record held whole (a device section's vmstate): QEMU's own sections are far smaller. */
export const MAX_INSPECT_RECORD_BYTES = 64 * 1024 * 1024;

/** Records handed out at once: a chunk of tiny records (5-byte commands) is many thousands of them. */
const MAX_BATCH_RECORDS = 4096;

export type InspectMainOptions = Partial<QemuMainReaderOptions>;

/** The records of a main stream, one at a time. */
export async function* inspectMainStream(source: AsyncIterable<Uint8Array>, options: InspectMainOptions = {}): AsyncGenerator<InspectMainRecord> {
  for await (const batch of inspectMainBatches(source, options)) yield* batch;
}

/** The records of a main stream, in batches: those each chunk of the source completes (one await per chunk, not per record). */
export async function* inspectMainBatches(source: AsyncIterable<Uint8Array>, options: InspectMainOptions = {}): AsyncGenerator<InspectMainRecord[]> {
  const q = new ByteQueue();
  const reader = new QemuMainReader({ ...options, maxPacketBytes: options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES });
  let failure: unknown;
  /** The records now complete; bad bytes end the batch, and the error is thrown once it is handed out. */
  function drain(final: boolean): InspectMainRecord[] {
    const batch: InspectMainRecord[] = [];
    try {
      while (batch.length < MAX_BATCH_RECORDS) {
        const record = reader.next(q, final);
        if (record.type === "need-more") return batch;
        batch.push(record as InspectMainRecord);
      }
    } catch (err) {
      failure = err;
    }
    return batch;
  }
  /** Every batch the queued bytes complete. */
  function* batches(final: boolean): Generator<InspectMainRecord[]> {
    for (;;) {
      const batch = drain(final);
      yield batch;
      if (batch.length < MAX_BATCH_RECORDS || failure) return;
    }
  }
  for await (const chunk of source) {
    q.push(chunk);
    yield* batches(false);
    if (failure) throw failure;
    if (q.length > MAX_INSPECT_RECORD_BYTES) {
      throw new WireFormatError("ERR_WIRE_TOO_LARGE", `a record of over ${MAX_INSPECT_RECORD_BYTES} bytes (expecting ${reader.expecting})`, q.position);
    }
  }
  yield* batches(true);
  if (failure) throw failure;
  if (!reader.complete || q.length > 0) {
    throw new WireFormatError("ERR_WIRE_TRUNCATED", `stream ended inside a record (expecting ${reader.expecting})`, q.position + q.length);
  }
}

/**
 * The VM description a main stream ends with (`0x00 EOF | 0x06 | be32 len | len bytes of JSON`), found
 * in the stream's last bytes, or undefined. JSON holds no raw control byte, so the 0x06 nearest the end
 * whose length reaches exactly to the end is the description's header.
 */
export function findVmDescription(tail: Uint8Array): VmDescription | undefined {
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let p = tail.length - 6; p >= 1 && tail.length - p - 5 <= MAX_INSPECT_DESCRIPTION_BYTES; p--) {
    if (tail[p] !== SectionType.VMDESCRIPTION || tail[p - 1] !== SectionType.EOF) continue;
    if (view.getUint32(p + 1) !== tail.length - p - 5) continue;
    const parsed = parseJsonBytes(tail.subarray(p + 5));
    const desc = parsed.ok ? (parsed.value as VmDescription) : undefined;
    if (desc && Array.isArray(desc.devices)) return desc;
  }
  return undefined;
}
