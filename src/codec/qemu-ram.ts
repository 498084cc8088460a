// The `ram` section's payload (QEMU 7.2 through 10.x, migration/ram.c ram_load_precopy): records of
// `be64 (offset | flags)` where the flags live in the bits below the target page size, each followed by
// what its flag carries. Read one record at a time, so a section of any size streams through.
import type { Cursor } from "./qemu-cursor.js";
import { WireFormatError } from "./errors.js";
import { fromUtf8 } from "./bytes.js";

/** `RAM_SAVE_FLAG_*`. */
export const RamFlag = {
  ZERO: 0x02,
  MEM_SIZE: 0x04,
  PAGE: 0x08,
  EOS: 0x10,
  CONTINUE: 0x20,
  XBZRLE: 0x40,
  /** RDMA's hook: its data travels over RDMA, nothing follows in the stream. */
  HOOK: 0x80,
  COMPRESS_PAGE: 0x100,
  MULTIFD_FLUSH: 0x200,
} as const;

export interface RamBlock {
  name: string;
  /** used_length. */
  length: number;
  /** The guest address of the block, sent only with x-ignore-shared. */
  address?: number;
}

/** What one RAM record carried. */
export type RamRecord =
  | { kind: "blocks"; blocks: RamBlock[] }
  /** `size`: the page size, which a zero page fills. */
  | { kind: "zero"; block: RamBlock; offset: number; fill: number; size: number }
  | { kind: "page"; block: RamBlock; offset: number; bytes: Uint8Array }
  | { kind: "xbzrle"; block: RamBlock; offset: number; bytes: Uint8Array; size: number }
  | { kind: "compressed"; block: RamBlock; offset: number; bytes: Uint8Array; size: number }
  | { kind: "hook" }
  | { kind: "multifd-flush" }
  | { kind: "eos" };

/** Counts of what a RAM section carried: the `ram` member of its inspect record. */
export interface RamSummary {
  blocks?: RamBlock[];
  zeroPages: number;
  normalPages: number;
  xbzrlePages: number;
  compressedPages: number;
  hooks: number;
  multifdFlushes: number;
  eos: boolean;
}

export function emptyRamSummary(): RamSummary {
  return { zeroPages: 0, normalPages: 0, xbzrlePages: 0, compressedPages: 0, hooks: 0, multifdFlushes: 0, eos: false };
}

export function countRamRecord(summary: RamSummary, record: RamRecord): void {
  switch (record.kind) {
    case "blocks":
      summary.blocks = record.blocks;
      break;
    case "zero":
      summary.zeroPages++;
      break;
    case "page":
      summary.normalPages++;
      break;
    case "xbzrle":
      summary.xbzrlePages++;
      break;
    case "compressed":
      summary.compressedPages++;
      break;
    case "hook":
      summary.hooks++;
      break;
    case "multifd-flush":
      summary.multifdFlushes++;
      break;
    case "eos":
      summary.eos = true;
      break;
  }
}

export interface RamReaderOptions {
  pageSize: number;
  /** The x-ignore-shared capability (from the CONFIGURATION's capabilities): each block carries its address. */
  ignoreShared: boolean;
}

/** RAM record reader; keeps the block list and the last block named (for CONTINUE) across sections. */
export class RamReader {
  private blocks = new Map<string, RamBlock>();
  private current: RamBlock | undefined;
  private readonly flagMask: bigint;

  constructor(
    private readonly options: RamReaderOptions,
    private readonly subject = "ram",
  ) {
    this.flagMask = BigInt(options.pageSize - 1);
  }

  private fail(code: string, message: string, offset: number): never {
    throw new WireFormatError(code, message, offset, this.subject);
  }

  /** One record at the cursor; state changes only once it is read whole. */
  read(c: Cursor): RamRecord {
    const at = c.offset;
    const word = c.u64();
    const flags = Number(word & this.flagMask);
    const addr = Number(word & ~this.flagMask);
    switch (flags & ~RamFlag.CONTINUE) {
      case RamFlag.MEM_SIZE:
        return this.memSize(c, addr);
      case RamFlag.ZERO: {
        const block = this.block(c, flags, addr, at);
        return { kind: "zero", block, offset: addr, fill: c.u8(), size: this.options.pageSize };
      }
      case RamFlag.PAGE: {
        const block = this.block(c, flags, addr, at);
        return { kind: "page", block, offset: addr, bytes: c.bytes(this.options.pageSize) };
      }
      case RamFlag.XBZRLE: {
        const block = this.block(c, flags, addr, at);
        c.u8(); // ENCODING_FLAG_XBZRLE
        const length = c.u16();
        if (length > this.options.pageSize) this.fail("ERR_RAM_BAD_LENGTH", `XBZRLE page of ${length} bytes is over the page size`, c.offset - 2);
        return { kind: "xbzrle", block, offset: addr, bytes: c.bytes(length), size: this.options.pageSize };
      }
      case RamFlag.COMPRESS_PAGE: {
        const block = this.block(c, flags, addr, at);
        const length = c.u32();
        // compressBound(page) is a little over a page: twice the page bounds it.
        if (length > 2 * this.options.pageSize) this.fail("ERR_RAM_BAD_LENGTH", `compressed page of ${length} bytes is over its bound`, c.offset - 4);
        return { kind: "compressed", block, offset: addr, bytes: c.bytes(length), size: this.options.pageSize };
      }
      case RamFlag.EOS:
        return { kind: "eos" };
      case RamFlag.MULTIFD_FLUSH:
        return { kind: "multifd-flush" };
      case RamFlag.HOOK:
        return { kind: "hook" };
      default:
        return this.fail("ERR_RAM_BAD_FLAGS", `unknown combination of RAM flags 0x${flags.toString(16)}`, at);
    }
  }

  private memSize(c: Cursor, total: number): RamRecord {
    const blocks: RamBlock[] = [];
    let left = total;
    while (left > 0) {
      const nameAt = c.offset;
      const name = fromUtf8(c.bytes(c.u8()));
      if (name === undefined) this.fail("ERR_WIRE_BAD_IDSTR", "RAM block name is not UTF-8", nameAt);
      const length = Number(c.u64());
      const block: RamBlock = { name, length };
      if (this.options.ignoreShared) block.address = Number(c.u64());
      blocks.push(block);
      left -= length;
    }
    this.blocks = new Map(blocks.map((b) => [b.name, b]));
    this.current = undefined;
    return { kind: "blocks", blocks };
  }

  /** The block a page record names (or, with CONTINUE, the last one named), its offset checked against its length. */
  private block(c: Cursor, flags: number, offset: number, at: number): RamBlock {
    let block = this.current;
    if (!(flags & RamFlag.CONTINUE)) {
      const nameAt = c.offset;
      const name = fromUtf8(c.bytes(c.u8())) ?? "";
      block = this.blocks.get(name);
      if (!block) this.fail("ERR_RAM_UNKNOWN_BLOCK", `page for RAM block "${name}", which the block list does not name`, nameAt);
    } else if (!block) this.fail("ERR_RAM_UNKNOWN_BLOCK", "CONTINUE page before any block was named", at);
    if (offset + this.options.pageSize > block.length) {
      this.fail("ERR_RAM_BAD_OFFSET", `page at 0x${offset.toString(16)} is past the end of RAM block ${block.name} (0x${block.length.toString(16)} bytes)`, at);
    }
    this.current = block;
    return block;
  }
}
