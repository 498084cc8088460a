// `inspect CHANNEL --extract DIR` on a multifd channel: each RAM packet's pages written at their offsets
// into DIR's block files (the same names as the main stream's --extract, whose files it completes when
// they are there; a block file it creates ends at its furthest page). Compressed packets are inflated:
// QEMU compresses each channel as one zlib or zstd stream, flushed at every packet's end, so one
// inflater per channel, fed in order.
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { constants, createInflate, type Inflate } from "node:zlib";
import { Decompress as ZstdDecompress } from "fzstd";
import type { MultifdRamRecord } from "../../codec/decode-multifd.js";
import { named, VfioMigrationError } from "../../errors.js";
import { blockFileName } from "./inspect-extract.js";

/** Turns one packet's data into its normal pages, in order. */
type Inflater = (data: Uint8Array) => Promise<Uint8Array>;

function zlibInflater(): Inflater {
  const stream: Inflate = createInflate();
  let out: Buffer[] = [];
  let failure: Error | undefined;
  stream.on("data", (chunk: Buffer) => out.push(chunk));
  stream.on("error", (err) => (failure ??= err));
  return async (data) => {
    // Bad data fails the stream, and then the flush never completes: its error settles the wait instead.
    await new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      stream.once("error", reject);
      stream.write(data);
      stream.flush(constants.Z_SYNC_FLUSH, () => {
        stream.off("error", reject);
        resolve();
      });
    });
    const pages = Buffer.concat(out);
    out = [];
    return pages;
  };
}

function zstdInflater(): Inflater {
  let out: Uint8Array[] = [];
  const stream = new ZstdDecompress((chunk) => out.push(chunk));
  return async (data) => {
    stream.push(data);
    const pages = Buffer.concat(out);
    out = [];
    return pages;
  };
}

const INFLATERS: Record<string, (() => Inflater) | undefined> = { zlib: zlibInflater, zstd: zstdInflater };

export class MultifdRamExtractor {
  private readonly files = new Map<string, number>();
  private inflater: Inflater | undefined;
  private compression = "none";

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  onRamPacket = async (packet: MultifdRamRecord): Promise<void> => {
    const { block, normalPages, zeroPages = 0, offsets, pageSize, compression, packetNum } = packet;
    if (block === undefined) return;
    let pages = packet.payload;
    if (normalPages > 0 && compression !== "none") {
      pages = await this.inflate(packet);
      if (pages.length !== normalPages * pageSize) {
        throw new VfioMigrationError("ERR_RAM_BAD_PAGE", named(block, `${compression} multifd packet ${packetNum} inflates to ${pages.length} bytes, not its ${normalPages} pages`));
      }
    }
    const fd = this.fd(block);
    for (let i = 0; i < normalPages; i++) writeSync(fd, pages, i * pageSize, pageSize, offsets[i]);
    if (zeroPages > 0) {
      const zero = new Uint8Array(pageSize);
      for (let i = normalPages; i < normalPages + zeroPages; i++) writeSync(fd, zero, 0, pageSize, offsets[i]);
    }
  };

  private async inflate(packet: MultifdRamRecord): Promise<Uint8Array> {
    if (!this.inflater) {
      const make = INFLATERS[packet.compression];
      if (!make) throw new VfioMigrationError("ERR_INSPECT_COMPRESSION", named(packet.block, `--extract cannot inflate ${packet.compression} multifd packets (zlib and zstd only)`));
      this.inflater = make();
      this.compression = packet.compression;
    }
    if (packet.compression !== this.compression) {
      throw new VfioMigrationError("ERR_RAM_BAD_PAGE", named(packet.block, `multifd packet ${packet.packetNum} is ${packet.compression} on a ${this.compression} channel`));
    }
    try {
      return await this.inflater(packet.payload);
    } catch (err) {
      throw new VfioMigrationError("ERR_RAM_BAD_PAGE", named(packet.block, `${packet.compression} multifd packet ${packet.packetNum} does not inflate: ${(err as Error).message}`));
    }
  }

  private fd(block: string): number {
    let fd = this.files.get(block);
    if (fd === undefined) {
      const path = join(this.dir, blockFileName(block));
      fd = openSync(path, existsSync(path) ? "r+" : "w");
      this.files.set(block, fd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.files.values()) closeSync(fd);
  }
}
