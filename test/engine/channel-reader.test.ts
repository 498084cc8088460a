import { describe, expect, it } from "vitest";
import { encodeConfigState, encodeConfiguration, encodeEof, encodeFileHeader, encodeSectionFooter, encodeSectionStart, init, SectionType } from "../../src/codec/index.js";
import { ChannelReader } from "../../src/engine/channel-reader.js";
import { memoryPair } from "../../src/transport/index.js";

await init();

describe("ChannelReader", () => {
  it("keeps a record whole while it spans several reuse windows (a 9 MiB config blob read in small pieces)", async () => {
    const [a, b] = memoryPair({ capacity: 64 << 10 });
    const blob = new Uint8Array(9 << 20);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 31 + (i >> 13)) & 0xff;
    const stream = [
      encodeFileHeader(),
      encodeConfiguration({ hello: 1 }),
      encodeSectionStart({ type: SectionType.FULL, sectionId: 0, idstr: "0000:00:04.0/vfio", instanceId: 0, version: 1 }),
      encodeConfigState(blob),
      encodeSectionFooter(0),
      encodeEof(),
    ];
    const writing = (async () => {
      for (const part of stream) for (let at = 0; at < part.length; at += 100_000) await a.write(part.subarray(at, at + 100_000));
      await a.end();
    })();
    const reader = new ChannelReader(b, "main");
    const types: string[] = [];
    let config: Uint8Array | undefined;
    for (let r = await reader.next(); r !== undefined; r = await reader.next()) {
      types.push(r.type);
      if (r.type === "config") config = r.bytes.slice();
    }
    await writing;
    expect(types).toEqual(["header", "configuration", "full", "marker", "config", "marker", "footer", "eof"]);
    expect(config!.length).toBe(blob.length);
    expect(Buffer.from(config!).equals(Buffer.from(blob))).toBe(true);
    expect(reader.bytesRead).toBe(stream.reduce((n, p) => n + p.length, 0));
  });
});
