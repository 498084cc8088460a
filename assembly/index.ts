// The WASM core: numbers and pointers only across the boundary, no allocation.
// Linear memory is imported; everything above heapBase() belongs to the TypeScript side.

export { crc32c } from "./crc32c";
export { checkStateBytes, checkReset } from "./checksum";

/** First byte the host may use: static data (tables) lies below it. */
export function heapBase(): usize {
  return __heap_base;
}
export { wireConstant, frameDeviceState } from "./wire";
export { scanMultifd, scanAhead } from "./scan";
export {
  reorderStateBytes, reorderInit, reorderRecord, reorderNext, reorderQueued, reorderRun, reorderHandle, reorderAdvance,
} from "./reorder";
export {
  readFileHeader, readTopLevel, readVmDescription, readMarker,
  readEndOfState, readConfigLength, readFooter, readReturnPath, readMultifdHello,
} from "./main-wire";
export { xxh3, xxh3Reset, xxh3Blocks, xxh3Final } from "./xxh3";
