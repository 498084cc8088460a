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

export type InspectMainOptions = Partial<QemuMainReaderOptions>;

export async function* inspectMainStream(source: AsyncIterable<Uint8Array>, options: InspectMainOptions = {}): AsyncGenerator<InspectMainRecord> {
  const q = new ByteQueue();
  const reader = new QemuMainReader({ ...options, maxPacketBytes: options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES });
  function* drain(final: boolean): Generator<InspectMainRecord> {
    for (;;) {
      const record = reader.next(q, final);
      if (record.type === "need-more") return;
      yield record as InspectMainRecord;
    }
  }
  for await (const chunk of source) {
    q.push(chunk);
    yield* drain(false);
    if (q.length > MAX_INSPECT_RECORD_BYTES) {
      throw new WireFormatError("ERR_WIRE_TOO_LARGE", `a record of over ${MAX_INSPECT_RECORD_BYTES} bytes (expecting ${reader.expecting})`, q.position);
    }
  }
  yield* drain(true);
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
