// QEMU's multifd RAM packet (`MultiFDPacket_t`, migration/multifd.h), which no part of the engine sends
// or takes: tools read it from captures. Layout, every integer big-endian, 7.2 through 10.x:
//   0 magic | 4 version 1 | 8 flags | 12 pages_alloc | 16 normal_pages | 20 next_packet_size |
//   24 be64 packet_num | 32 zero_pages (9.0 on; reserved and zero before) | 36..63 reserved |
//   64 ramblock[256] | 320 pages_alloc x be64 page offsets (normal pages first, then zero pages)
// then the normal pages' data: normal_pages x page size, or next_packet_size bytes when compressed.
// A packet without pages carries no data (its next_packet_size and block name are left over from
// the channel's previous packet). Compressed data is one stream per channel, flushed per packet.
import { MultifdFlag } from "./constants.js";
import { WireFormatError } from "./errors.js";

/** The fixed part, before the offsets. */
export const MULTIFD_RAM_FIXED_BYTES = 320;
const RAMBLOCK_OFFSET = 64;
const RAMBLOCK_BYTES = 256;
/** `MULTIFD_PACKET_SIZE`: a packet's pages span 512 KiB, so pages_alloc = 512 KiB / target page size. */
const MULTIFD_PACKET_SPAN = 512 * 1024;
/** Target pages of 1 KiB (the smallest QEMU has) to 64 KiB. */
const MIN_PAGES_ALLOC = MULTIFD_PACKET_SPAN / 65536;
const MAX_PAGES_ALLOC = MULTIFD_PACKET_SPAN / 1024;

/** `MULTIFD_FLAG_*` compression values (flags & 0x3e): 7.2 has zlib and zstd, 9.x adds the rest. */
export const MULTIFD_COMPRESSION: ReadonlyMap<number, string> = new Map([
  [0x00, "none"],
  [0x02, "zlib"],
  [0x04, "zstd"],
  [0x08, "qpl"],
  [0x10, "uadk"],
  [0x20, "qatzip"],
]);

/** Whether the packet has the zero_pages field: QEMU 9.0 and later. */
export interface MultifdRamLayout {
  zeroPagesField: boolean;
}

export interface MultifdRamHeader {
  flags: number;
  sync: boolean;
  compression: string;
  pagesAlloc: number;
  /** Target page size, 512 KiB / pages_alloc. */
  pageSize: number;
  normalPages: number;
  /** Only with the 9.0 layout. */
  zeroPages?: number;
  nextPacketSize: number;
  packetNum: number;
  /** The RAM block's idstr; absent when the packet carries no page. */
  block?: string;
  /** Page offsets in the block: the normal pages', then the zero pages'. */
  offsets: number[];
  /** Header bytes: fixed part and offsets. */
  headerBytes: number;
  /** Data bytes after the header. */
  payloadBytes: number;
}

const utf8 = new TextDecoder("utf-8");

/** Header bytes of the packet at `bytes[0]`, once its first 16 bytes are there; throws for a bad pages_alloc. */
export function multifdRamHeaderBytes(bytes: Uint8Array, streamOffset: number, subject?: string): number {
  const pagesAlloc = new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(12);
  // A power of two in range: anything else is not a page count QEMU computes.
  if (pagesAlloc < MIN_PAGES_ALLOC || pagesAlloc > MAX_PAGES_ALLOC || (pagesAlloc & (pagesAlloc - 1)) !== 0) {
    throw new WireFormatError("ERR_MULTIFD_RAM_PACKET", `multifd RAM packet pages_alloc ${pagesAlloc} is not 512 KiB / a target page size of 1..64 KiB`, streamOffset + 12, subject);
  }
  return MULTIFD_RAM_FIXED_BYTES + 8 * pagesAlloc;
}

/**
 * Decodes a RAM packet's header from `bytes` (at least `multifdRamHeaderBytes` long; magic and
 * version already checked). Throws WireFormatError for counts or flags QEMU would refuse.
 */
export function decodeMultifdRamHeader(bytes: Uint8Array, layout: MultifdRamLayout, streamOffset: number, subject?: string): MultifdRamHeader {
  const headerBytes = multifdRamHeaderBytes(bytes, streamOffset, subject);
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const fail = (message: string, at: number) => new WireFormatError("ERR_MULTIFD_RAM_PACKET", message, streamOffset + at, subject);
  const flags = view.getUint32(8);
  const compression = MULTIFD_COMPRESSION.get(flags & MultifdFlag.COMPRESSION_MASK);
  if (compression === undefined || flags & ~(MultifdFlag.SYNC | MultifdFlag.COMPRESSION_MASK)) {
    throw fail(`multifd RAM packet flags 0x${flags.toString(16)} are not SYNC and one compression method`, 8);
  }
  const pagesAlloc = view.getUint32(12);
  const normalPages = view.getUint32(16);
  const nextPacketSize = view.getUint32(20);
  const packetNum = view.getBigUint64(24);
  if (packetNum > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`multifd RAM packet number ${packetNum} is beyond 2^53`, 24);
  const zeroPages = layout.zeroPagesField ? view.getUint32(32) : 0;
  if (normalPages + zeroPages > pagesAlloc) {
    throw fail(`multifd RAM packet has ${normalPages} normal and ${zeroPages} zero pages, more than pages_alloc ${pagesAlloc}`, 16);
  }
  const pageSize = MULTIFD_PACKET_SPAN / pagesAlloc;
  const offsets: number[] = [];
  for (let i = 0; i < normalPages + zeroPages; i++) {
    const offset = view.getBigUint64(MULTIFD_RAM_FIXED_BYTES + 8 * i);
    if (offset > BigInt(Number.MAX_SAFE_INTEGER) || offset % BigInt(pageSize) !== 0n) {
      throw fail(`multifd RAM packet page offset 0x${offset.toString(16)} is not a page of a block`, MULTIFD_RAM_FIXED_BYTES + 8 * i);
    }
    offsets.push(Number(offset));
  }
  const hasPages = normalPages + zeroPages > 0;
  let block: string | undefined;
  if (hasPages) {
    const field = bytes.subarray(RAMBLOCK_OFFSET, RAMBLOCK_OFFSET + RAMBLOCK_BYTES);
    const end = field.indexOf(0);
    if (end <= 0) throw fail("multifd RAM packet block name is empty or unterminated", RAMBLOCK_OFFSET);
    block = utf8.decode(field.subarray(0, end));
  }
  // No pages, no data: whatever next_packet_size says is the previous packet's.
  const payloadBytes = normalPages === 0 ? 0 : compression === "none" ? normalPages * pageSize : nextPacketSize;
  return {
    flags,
    sync: (flags & MultifdFlag.SYNC) !== 0,
    compression,
    pagesAlloc,
    pageSize,
    normalPages,
    ...(layout.zeroPagesField ? { zeroPages } : {}),
    nextPacketSize,
    packetNum: Number(packetNum),
    ...(block === undefined ? {} : { block }),
    offsets,
    headerBytes,
    payloadBytes,
  };
}
