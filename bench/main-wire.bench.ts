// Main-channel headers: what a section's headers cost through the WASM writers and readers
// (assembly/main-wire.ts, staged through the shared instance) against the pure-TS reference writing
// straight into the target. One sample = 1000 PART sections of `PART | DEV_DATA_STATE n | END_OF_STATE | footer`
// (the data bytes themselves are not counted: the engine reads them in place).
import { Bench } from "tinybench";
import {
  DATA_STATE_HEADER_BYTES, encodeEof, encodeFileHeader, init, SectionType, StreamDecoder, VfioMarker, writeDataStateHeader, writeMarker, writeSectionFooter,
  writeSectionPart, writeSectionStart, sectionStartBytes, type WasmFlavor,
} from "../src/codec/index.js";
import { writeMarkerLengthReference, writeMarkerReference, writeSectionHeaderReference } from "../src/codec/reference/main-wire.js";

const SECTIONS = 1000;
const SECTION_BYTES = 5 + DATA_STATE_HEADER_BYTES + 8 + 5;
const target = new Uint8Array(SECTIONS * SECTION_BYTES);

function writeWasm(): number {
  let at = 0;
  for (let i = 0; i < SECTIONS; i++) {
    at = writeSectionPart(target, at, SectionType.PART, 1);
    at = writeDataStateHeader(target, at, 0);
    at = writeMarker(target, at, VfioMarker.END_OF_STATE);
    at = writeSectionFooter(target, at, 1);
  }
  return at;
}

function writeReference(): number {
  let at = 0;
  for (let i = 0; i < SECTIONS; i++) {
    at += writeSectionHeaderReference(target, at, SectionType.PART, 1);
    at += writeMarkerLengthReference(target, at, VfioMarker.DEV_DATA_STATE, 0);
    at += writeMarkerReference(target, at, VfioMarker.END_OF_STATE);
    at += writeSectionHeaderReference(target, at, SectionType.FOOTER, 1);
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
  writeWasm();
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
  // Both writers must produce the same bytes before anything is timed.
  writeWasm();
  const viaWasm = target.slice();
  writeReference();
  if (!viaWasm.every((b, i) => b === target[i])) throw new Error("WASM and reference writers disagree");
  const bench = new Bench({ time: 1000, warmupTime: 200 });
  bench
    .add("write 1000 sections' headers: WASM (staged)", writeWasm)
    .add("write 1000 sections' headers: TS reference (direct)", writeReference)
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
