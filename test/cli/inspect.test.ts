// Runs the built CLI (`npm test` builds first) on files this test writes.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  crc32c, encodeCommand, encodeDataStateHeader, encodeDeviceStatePacket, encodeFileHeader, encodeMarker, encodeMultifdHello,
  encodeSectionFooter, encodeSectionStart, init, MainCommand, SectionType, VfioMarker,
} from "../../src/codec/index.js";
import { IDSTR, mainStreamFixture, multifdStreamFixture } from "../codec/fixtures.js";
import { concat, hex } from "../codec/helpers.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "vfio-inspect-"));
let files = 0;

async function inspect(bytes: Uint8Array, ...flags: string[]) {
  const file = join(dir, `stream-${files++}.bin`);
  writeFileSync(file, bytes);
  try {
    const { stdout, stderr } = await run(process.execPath, ["dist/cli/main.js", "inspect", file, ...flags]);
    return { status: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { status: code, stdout, stderr };
  }
}

describe("vfio-migration inspect", () => {
  beforeAll(async () => {
    await init();
  });

  it("lists a main channel's sections, markers and commands as JSON", async () => {
    const fixture = mainStreamFixture();
    const { status, stdout, stderr } = await inspect(fixture.bytes, "--json");
    expect([status, stderr]).toEqual([0, ""]);
    const data = (bytes: Uint8Array) => ({ marker: "DEV_DATA_STATE", length: bytes.length, crc32c: crc32c(bytes) });
    expect(JSON.parse(stdout)).toEqual({
      kind: "main",
      records: [
        { type: "start", sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1, markers: [{ marker: "DEV_SETUP_STATE" }, { marker: "END_OF_STATE" }] },
        { type: "command", command: "OPEN_RETURN_PATH" },
        { type: "part", sectionId: 1, markers: [data(fixture.precopy), { marker: "END_OF_STATE" }] },
        { type: "part", sectionId: 1, markers: [{ marker: "DEV_DATA_STATE", length: 0, crc32c: 0 }, { marker: "DEV_INIT_DATA_SENT" }] },
        { type: "command", command: "PING" },
        { type: "command", command: "SWITCHOVER_START" },
        { type: "end", sectionId: 1, markers: [data(fixture.complete[0]), data(fixture.complete[1]), { marker: "END_OF_STATE" }] },
        { type: "full", sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1, markers: [{ marker: "DEV_CONFIG_STATE" }, { marker: "END_OF_STATE" }] },
        { type: "eof" },
      ],
    });
  });

  it("lists a multifd channel's packets as JSON, with no, CRC32C or XXH3 checksums", async () => {
    for (const checksum of ["none", "crc32c", "xxh3"] as const) {
      const fixture = multifdStreamFixture({ chunks: 3, chunkBytes: 1 << 20, checksum, channelId: 1 });
      const { status, stdout } = await inspect(fixture.bytes, "--json");
      expect(status).toBe(0);
      const configData = fixture.packets[3].subarray(288, 288 + 80);
      expect(JSON.parse(stdout)).toEqual({
        kind: "multifd",
        channelId: 1,
        packets: [
          ...fixture.data.map((d, idx) => ({ idstr: IDSTR, instanceId: 0, idx, config: false, length: 1 << 20, crc32c: crc32c(d) })),
          { idstr: IDSTR, instanceId: 0, idx: 3, config: true, length: 80, crc32c: crc32c(configData) },
        ],
      });
    }
  });

  it("prints a readable table without --json", async () => {
    const main = await inspect(mainStreamFixture().bytes);
    expect(main.status).toBe(0);
    expect(main.stdout).toContain("SWITCHOVER_START");
    expect(main.stdout).toMatch(/START\s+section 1 0000:00:04.0\/vfio instance 0 version 1/);
    expect(main.stdout).toMatch(/DEV_DATA_STATE 1000 bytes crc32c 0x[0-9a-f]{8}/);
    const multifd = await inspect(multifdStreamFixture({ chunks: 1, chunkBytes: 10 }).bytes);
    expect(multifd.stdout).toMatch(/^multifd channel 0: 2 packets/);
    expect(multifd.stdout).toMatch(/\b1\s+config\s+80\s+0x[0-9a-f]{8}\s+0000:00:04.0\/vfio #0/);
  });

  const packet = (patch: (p: Uint8Array) => void) => {
    const p = encodeDeviceStatePacket({ idstr: IDSTR, instanceId: 0, idx: 0, flags: 0, data: new Uint8Array(100), checksum: false });
    patch(p);
    return concat(encodeMultifdHello({ channelId: 0 }), p);
  };
  const header = encodeFileHeader();
  const start = encodeSectionStart({ type: SectionType.START, sectionId: 1, idstr: IDSTR, instanceId: 0, version: 1 });
  const invalid: Array<[string, () => Uint8Array, string, number, string[]?]> = [
    ["a truncated main stream", () => mainStreamFixture().bytes.subarray(0, 200), "ERR_WIRE_TRUNCATED", 200],
    ["a truncated multifd packet", () => multifdStreamFixture({ chunks: 1, chunkBytes: 100 }).bytes.subarray(0, 300), "ERR_WIRE_TRUNCATED", 300],
    ["bad magic", () => hex("51 45 56 00 00 00 00 03"), "ERR_WIRE_BAD_MAGIC", 0],
    ["an empty file", () => new Uint8Array(0), "ERR_WIRE_TRUNCATED", 0],
    ["an unterminated idstr", () => packet((p) => p.fill(0x41, 12, 268)), "ERR_MULTIFD_IDSTR_UNTERMINATED", 64 + 267],
    ["VFIO version 1", () => packet((p) => (p[279] = 1)), "ERR_MULTIFD_VFIO_VERSION", 64 + 276],
    ["an empty packet", () => packet((p) => p.fill(0, 272, 276)), "ERR_MULTIFD_EMPTY_PACKET", 64 + 272],
    ["an oversized packet", () => packet(() => {}), "ERR_MULTIFD_PACKET_TOO_LARGE", 64 + 272, ["--max-packet-bytes", "100"]],
    ["SYNC with DEVICE_STATE", () => packet((p) => (p[11] = 0x41)), "ERR_MULTIFD_SYNC_DEVICE_STATE", 64 + 8],
    ["an unknown marker", () => concat(header, start, hex("ff ff ff ff ef 10 00 09")), "ERR_WIRE_UNKNOWN_MARKER", 8 + start.length],
    ["a wrong footer", () => concat(header, start, encodeMarker(VfioMarker.END_OF_STATE), encodeSectionFooter(7)), "ERR_WIRE_BAD_FOOTER", 8 + start.length + 9],
    ["a wrong command length", () => concat(header, hex("08 00 0b 00 04 00 00 00 00")), "ERR_WIRE_COMMAND_LENGTH", 11],
    ["a chunk over the bound", () => concat(header, start, encodeDataStateHeader(1 << 30)), "ERR_WIRE_TOO_LARGE", 8 + start.length + 8],
  ];
  it.each(invalid)("refuses %s: exit 1, an error object, no stack trace", async (_name, bytes, code, offset, flags = []) => {
    const { status, stdout, stderr } = await inspect(bytes(), "--json", ...flags);
    expect(status).toBe(1);
    const { error } = JSON.parse(stdout) as { error: { code: string; message: string; offset: number } };
    expect([error.code, error.offset, typeof error.message]).toEqual([code, offset, "string"]);
    expect(stdout + stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a missing file and a usage error without a stack trace", async () => {
    const missing = await run(process.execPath, ["dist/cli/main.js", "inspect", join(dir, "missing.bin"), "--json"]).catch((e: { code: number; stdout: string }) => e);
    expect((missing as { code: number }).code).toBe(1);
    expect(JSON.parse((missing as { stdout: string }).stdout).error.code).toBe("ERR_INSPECT_READ");
    const usage = await run(process.execPath, ["dist/cli/main.js", "inspect"]).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
    expect((usage as { stderr: string }).stderr).toMatch(/usage: vfio-migration inspect FILE/);
  });

  it("says so on stderr without --json", async () => {
    const { status, stdout, stderr } = await inspect(concat(header, encodeCommand(MainCommand.OPEN_RETURN_PATH), hex("08 00 0b 00 01 00")));
    expect([status, stdout]).toEqual([1, ""]);
    expect(stderr).toMatch(/^vfio-migration inspect: ERR_WIRE_COMMAND_LENGTH: .*at byte 16/);
  });
});
