// inspect's output modes on the real QEMU 7.2 captures and on our own streams: --state byte for byte on
// every stream analyze-migration.py reads (the fixtures' test compares parsed JSON), --desc, their
// refusals, and the reader over a real capture cut into chunks anywhere.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { crc32c, findVmDescription, init, inspectMainStream, pythonJson, StateBuilder } from "../../src/codec/index.js";
import { mainStreamFixture } from "../codec/fixtures.js";
import { FIXTURES, streamBytes, streamPath, streams } from "./qemu-fixtures.js";
import { runCli } from "./run-cli.js";

beforeAll(async () => {
  await init();
});

/** What `inspect --state` prints, computed in process (the CLI's wiring is run below and in inspect-qemu.test.ts). */
async function state(bytes: Uint8Array): Promise<string> {
  const builder = new StateBuilder();
  const description = findVmDescription(bytes.subarray(Math.max(0, bytes.length - (4 << 20))));
  async function* source() {
    yield bytes;
  }
  for await (const record of inspectMainStream(source(), { description })) builder.add(record);
  return pythonJson(builder.toObject()) + "\n";
}

describe("inspect --state and --desc", () => {
  for (const [key, e] of streams("main")) {
    if (!("state" in e.analyzeMigration)) continue;
    const file = e.analyzeMigration.state;
    it(`${key}: --state is analyze-migration.py's stdout, byte for byte`, async () => {
      expect((await state(streamBytes(key))) === readFileSync(join(FIXTURES, file), "utf8")).toBe(true);
    });
  }

  for (const key of ["q35-paused"]) {
    it(`${key}: --desc is analyze-migration.py -d desc's stdout, byte for byte`, async () => {
      const run = await runCli(["inspect", streamPath(`${key}.bin`), "--desc"]);
      expect([run.code, run.stderr]).toEqual([0, ""]);
      expect(run.stdout === readFileSync(join(FIXTURES, `${key}.desc.json`), "utf8")).toBe(true);
    });
  }

  it("refuses --desc without a description and --state on a multifd channel", async () => {
    const noDesc = await runCli(["inspect", streamPath("pc-no-description.bin"), "--desc"]);
    expect(noDesc.code).toBe(1);
    expect(noDesc.stderr).toMatch(/ERR_INSPECT_NO_DESCRIPTION/);
    const multifd = await runCli(["inspect", streamPath("pc-multifd/multifd-0.out.bin"), "--state"]);
    expect(multifd.code).toBe(1);
    expect(multifd.stderr).toMatch(/ERR_INSPECT_NOT_MAIN/);
  });

  it("lists our own VFIO sections under their keys with their markers", async () => {
    const fixture = mainStreamFixture();
    const data = (bytes: Uint8Array) => ({ marker: "DEV_DATA_STATE", length: bytes.length, crc32c: crc32c(bytes) });
    expect(JSON.parse(await state(fixture.bytes))).toEqual({
      "0000:00:04.0/vfio (1)": {
        markers: [
          { marker: "DEV_SETUP_STATE" }, { marker: "END_OF_STATE" },
          data(fixture.precopy), { marker: "END_OF_STATE" },
          { marker: "DEV_DATA_STATE", length: 0, crc32c: 0 }, { marker: "DEV_INIT_DATA_SENT" },
          data(fixture.complete[0]), data(fixture.complete[1]), { marker: "END_OF_STATE" },
          { marker: "DEV_CONFIG_STATE" }, { marker: "END_OF_STATE" },
        ],
      },
    });
  });
});

describe("the main-stream reader on a real capture", () => {
  it("reads the same records whatever the chunks (q35-ran: RAM over three iterations, every q35 device)", async () => {
    const bytes = streamBytes("q35-ran.bin");
    const description = findVmDescription(bytes.subarray(bytes.length - (1 << 20)));
    expect(description?.devices.length).toBeGreaterThan(20);
    const read = async (sizes: () => number) => {
      const records: unknown[] = [];
      async function* chunks() {
        for (let at = 0; at < bytes.length; ) {
          const n = sizes();
          yield bytes.subarray(at, at + n);
          at += n;
        }
      }
      for await (const record of inspectMainStream(chunks(), { description })) records.push(record);
      return records;
    };
    const whole = await read(() => bytes.length);
    expect(whole.length).toBeGreaterThan(30);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + (seed % 9000);
    };
    expect(await read(random)).toEqual(whole);
  });
});
