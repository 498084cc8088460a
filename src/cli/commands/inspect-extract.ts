// `inspect --extract DIR`: each RAM block's contents as the stream leaves them, one file per block,
// written page by page as the records are read (pages at their offsets, zero pages as zeros, XBZRLE
// deltas applied to what the file holds, compressed pages inflated).
import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import type { RamBlock, RamRecord } from "../../codec/qemu-ram.js";
import { applyXbzrle } from "../../codec/qemu-xbzrle.js";
import { named, VfioMigrationError } from "../../errors.js";

/** A block's file name: characters other than letters, digits, `.`, `-` and `_` become `_`. */
export function blockFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_");
}

function badPage(block: RamBlock, offset: number, what: string): VfioMigrationError {
  return new VfioMigrationError("ERR_RAM_BAD_PAGE", named(block.name, `${what} at 0x${offset.toString(16)} does not decode to a page`));
}

export class RamExtractor {
  private readonly files = new Map<string, number>();
  private zero: Uint8Array = new Uint8Array(0);

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** File names written so far, by block. */
  get written(): string[] {
    return [...this.files.keys()].map(blockFileName);
  }

  onRam = (record: RamRecord): void => {
    switch (record.kind) {
      case "blocks":
        for (const block of record.blocks) this.open(block);
        break;
      case "zero":
        if (this.zero.length !== record.size) this.zero = new Uint8Array(record.size);
        this.write(record.block, record.offset, record.fill ? new Uint8Array(record.size).fill(record.fill) : this.zero);
        break;
      case "page":
        this.write(record.block, record.offset, record.bytes);
        break;
      case "compressed":
        this.write(record.block, record.offset, this.inflate(record));
        break;
      case "xbzrle": {
        const page = new Uint8Array(record.size);
        readSync(this.fd(record.block), page, 0, page.length, record.offset);
        if (!applyXbzrle(record.bytes, page)) throw badPage(record.block, record.offset, "XBZRLE page");
        this.write(record.block, record.offset, page);
        break;
      }
    }
  };

  private inflate({ block, offset, bytes, size }: Extract<RamRecord, { kind: "compressed" }>): Uint8Array {
    try {
      const page = inflateSync(bytes, { maxOutputLength: size });
      if (page.length === size) return page;
    } catch {
      // reported below
    }
    throw badPage(block, offset, "compressed page");
  }

  private open(block: RamBlock): void {
    if (this.files.has(block.name)) return;
    const fd = openSync(join(this.dir, blockFileName(block.name)), "w");
    ftruncateSync(fd, block.length);
    this.files.set(block.name, fd);
  }

  private fd(block: RamBlock): number {
    const fd = this.files.get(block.name);
    return fd!; // RamReader refuses a page for a block its block list does not name

  }

  private write(block: RamBlock, offset: number, bytes: Uint8Array): void {
    writeSync(this.fd(block), bytes, 0, bytes.length, offset);
  }

  close(): void {
    for (const fd of this.files.values()) closeSync(fd);
  }
}
