// --extract's writer on RAM records (in process): each kind of page lands at its offset as the stream
// leaves it, later records overwriting earlier ones, and pages that do not decode are refused.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { blockFileName, RamExtractor } from "../../src/cli/commands/inspect-extract.js";
import type { RamBlock } from "../../src/codec/qemu-ram.js";
import { isVfioMigrationError } from "../../src/errors.js";
import { seededBytes } from "../codec/helpers.js";

const PAGE = 4096;

describe("inspect --extract", () => {
  const dir = mkdtempSync(join(tmpdir(), "vfio-extract-unit-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes pages at their offsets, zero pages as zeros, XBZRLE over what is there, compressed pages inflated", () => {
    const ram: RamBlock = { name: "pc.ram", length: 4 * PAGE };
    const rom: RamBlock = { name: "/rom@etc/acpi/tables", length: PAGE };
    const a = seededBytes(PAGE, 1);
    const b = seededBytes(PAGE, 2);
    const out = new RamExtractor(dir);
    out.onRam({ kind: "blocks", blocks: [ram, rom] });
    out.onRam({ kind: "page", block: ram, offset: 0, bytes: a });
    out.onRam({ kind: "page", block: ram, offset: PAGE, bytes: a });
    out.onRam({ kind: "zero", block: ram, offset: 0, fill: 0, size: PAGE }); // re-sent as zero: zeros win
    out.onRam({ kind: "xbzrle", block: ram, offset: PAGE, bytes: Uint8Array.of(4, 2, 0xaa, 0xbb), size: PAGE });
    out.onRam({ kind: "compressed", block: ram, offset: 3 * PAGE, bytes: deflateSync(b), size: PAGE });
    out.onRam({ kind: "page", block: rom, offset: 0, bytes: b });
    out.close();

    expect(readdirSync(dir).sort()).toEqual(["_rom_etc_acpi_tables", "pc.ram"]);
    const file = readFileSync(join(dir, "pc.ram"));
    expect(file.length).toBe(4 * PAGE);
    expect(file.subarray(0, PAGE).every((x) => x === 0)).toBe(true);
    const patched = a.slice();
    patched.set([0xaa, 0xbb], 4);
    expect(new Uint8Array(file.subarray(PAGE, 2 * PAGE))).toEqual(patched);
    expect(file.subarray(2 * PAGE, 3 * PAGE).every((x) => x === 0)).toBe(true); // never sent
    expect(new Uint8Array(file.subarray(3 * PAGE))).toEqual(b);
    expect(new Uint8Array(readFileSync(join(dir, "_rom_etc_acpi_tables")))).toEqual(b);
  });

  it("refuses an XBZRLE or compressed page that does not decode to a page, naming the block", () => {
    const ram: RamBlock = { name: "pc.ram", length: PAGE };
    const out = new RamExtractor(join(dir, "bad"));
    out.onRam({ kind: "blocks", blocks: [ram] });
    const refused = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return isVfioMigrationError(err) ? [err.code, err.message.split(":")[0]] : err;
      }
      return undefined;
    };
    expect(refused(() => out.onRam({ kind: "xbzrle", block: ram, offset: 0, bytes: Uint8Array.of(0, 9, 1), size: PAGE }))).toEqual(["ERR_RAM_BAD_PAGE", "pc.ram"]);
    expect(refused(() => out.onRam({ kind: "compressed", block: ram, offset: 0, bytes: Uint8Array.of(1, 2, 3), size: PAGE }))).toEqual(["ERR_RAM_BAD_PAGE", "pc.ram"]);
    expect(refused(() => out.onRam({ kind: "compressed", block: ram, offset: 0, bytes: deflateSync(new Uint8Array(100)), size: PAGE }))).toEqual(["ERR_RAM_BAD_PAGE", "pc.ram"]);
    out.close();
  });

  it("names files after their blocks: characters other than letters, digits, '.', '-' and '_' become '_'", () => {
    expect(blockFileName("/rom@etc/table-loader")).toBe("_rom_etc_table-loader");
    expect(blockFileName("0000:00:02.0/vga.vram")).toBe("0000_00_02.0_vga.vram");
  });
});
