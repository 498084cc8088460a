// inspect's main-stream reader (src/codec/qemu-main.ts through inspectMainBatches): what a stream costs to
// read, by what it holds. Full RAM pages (the bulk of a real capture), 5-byte commands (the most records
// per byte: the issue 12 stream of 12 million of them), and a real QEMU 7.2 capture (q35, ran 2 s: RAM
// over three iterations and every q35 device through the VM description). Sources deliver 64 KiB chunks,
// as a file stream does.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { Bench } from "tinybench";
import { findVmDescription, init, inspectMainBatches, type InspectMainOptions } from "../src/codec/index.js";

const CHUNK = 64 * 1024;
const PAGE = 4096;

function be64(out: Uint8Array, at: number, value: number): number {
  const view = new DataView(out.buffer, out.byteOffset);
  view.setUint32(at, Math.floor(value / 2 ** 32));
  view.setUint32(at + 4, value >>> 0);
  return at + 8;
}

/** A ram section of `pages` full pages of one block, then EOF. */
function ramStream(pages: number): Uint8Array {
  const name = new TextEncoder().encode("pc.ram");
  const head = [0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3, 0x01, 0, 0, 0, 2, 3, 0x72, 0x61, 0x6d, 0, 0, 0, 0, 0, 0, 0, 4];
  const out = new Uint8Array(head.length + 8 + 1 + name.length + 8 + pages * (8 + PAGE) + 1 + name.length + 8 + 1);
  out.set(head);
  let at = be64(out, head.length, pages * PAGE + 0x04);
  out[at++] = name.length;
  out.set(name, at);
  at = be64(out, at + name.length, pages * PAGE);
  for (let i = 0; i < pages; i++) {
    at = be64(out, at, i * PAGE + 0x08 + (i ? 0x20 : 0));
    if (i === 0) {
      out[at++] = name.length;
      out.set(name, at);
      at += name.length;
    }
    out.fill(i & 0xff, at, at + PAGE);
    at += PAGE;
  }
  at = be64(out, at, 0x10);
  out[at] = 0;
  return out.subarray(0, at + 1);
}

function commandStream(commands: number): Uint8Array {
  const out = new Uint8Array(8 + commands * 5 + 1);
  out.set([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3]);
  for (let i = 0; i < commands; i++) out.set([0x08, 0, 1, 0, 0], 8 + i * 5);
  return out;
}

async function read(bytes: Uint8Array, options: InspectMainOptions = {}): Promise<number> {
  async function* chunks() {
    for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
  }
  let records = 0;
  for await (const batch of inspectMainBatches(chunks(), options)) records += batch.length;
  return records;
}

await init();
const capture = gunzipSync(readFileSync("test/fixtures/qemu/q35-ran.bin.gz"));
const description = findVmDescription(capture.subarray(capture.length - (1 << 20)));
const streams = [
  { name: "4096 full RAM pages (16 MiB)", bytes: ramStream(4096), options: {} },
  { name: "200,000 OPEN_RETURN_PATH commands", bytes: commandStream(200_000), options: {} },
  { name: "q35-ran.bin (QEMU 7.2 capture, with its VM description)", bytes: capture, options: { description } },
];
const bench = new Bench({ time: 500, iterations: 5, warmupTime: 100, warmupIterations: 2 });
for (const s of streams) bench.add(s.name, () => read(s.bytes, s.options).then(() => undefined));
await bench.run();
const rows = bench.tasks.map((task, i) => {
  const result = task.result;
  if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`);
  const ms = result.latency.p50;
  return { stream: task.name, "MB": (streams[i].bytes.length / 1e6).toFixed(1), "ms (median)": ms.toFixed(1), "MB/s": (streams[i].bytes.length / 1e3 / ms).toFixed(0) };
});
console.log(`Node ${process.version}`);
console.table(rows);
