// Main-channel headers: what a section's headers cost through the writers (TypeScript, one cached
// DataView) and through the StreamDecoder (WASM readers, staged through the shared instance).
// One sample = 1000 PART sections of `PART | DEV_DATA_STATE n | END_OF_STATE | footer` (the data
// bytes themselves are not counted: the engine reads them in place).
import { Bench } from "tinybench";
import {
  DATA_STATE_HEADER_BYTES, encodeEof, encodeFileHeader, init, SectionType, StreamDecoder, VfioMarker, writeDataStateHeader, writeMarker, writeSectionFooter,
  writeSectionPart, writeSectionStart, sectionStartBytes, type WasmFlavor,
} from "../src/codec/index.js";

const SECTIONS = 1000;
const SECTION_BYTES = 5 + DATA_STATE_HEADER_BYTES + 8 + 5;
const target = new Uint8Array(SECTIONS * SECTION_BYTES);

function writeHeaders(): number {
  let at = 0;
  for (let i = 0; i < SECTIONS; i++) {
    at = writeSectionPart(target, at, SectionType.PART, 1);
    at = writeDataStateHeader(target, at, 0);
    at = writeMarker(target, at, VfioMarker.END_OF_STATE);
    at = writeSectionFooter(target, at, 1);
  }
  return at;
}

/** A whole stream as the pieces a channel delivers: header, one START section, the 1000 PART sections, EOF. */
function stream(): Uint8Array[] {
  const start = { type: SectionType.START as const, sectionId: 1, idstr: "0000:00:04.0/vfio", instanceId: 0, version: 1 };
  const head = new Uint8Array(sectionStartBytes(start) + 8 + 5);
  let at = writeSectionStart(head, 0, start);
  at = writeMarker(head, at, VfioMarker.END_OF_STATE);
  writeSectionFooter(head, at, 1);
  writeHeaders();
  return [encodeFileHeader(), head, target.slice(), encodeEof()];
}

function decodeAll(pieces: Uint8Array[]): number {
  const decoder = new StreamDecoder({ kind: "main" });
  for (const piece of pieces) decoder.push(piece);
  let records = 0;
  for (const _ of decoder.records()) records++;
  decoder.end();
  return records;
}

const rows: Record<string, string>[] = [];
for (const flavor of ["simd", "scalar"] as WasmFlavor[]) {
  await init({ flavor });
  const pieces = stream();
  // The decoder must read back every section the writers wrote before anything is timed.
  if (decodeAll(pieces) !== 2 + 4 * SECTIONS + 3) throw new Error("the decoder does not read back what the writers wrote");
  const bench = new Bench({ time: 1000, warmupTime: 200 });
  bench
    .add("write 1000 sections' headers (TS, cached DataView)", writeHeaders)
    .add("decode the stream of 1000 sections: StreamDecoder (WASM readers)", () => decodeAll(pieces));
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`);
    const median = result.latency.p50;
    rows.push({ build: flavor, task: task.name, "µs / 1000 sections (median)": (median * 1000).toFixed(1), "ns / section": ((median * 1e6) / SECTIONS).toFixed(0) });
  }
}
console.log(`Node ${process.version}`);
console.table(rows);
