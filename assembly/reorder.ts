// A per-device reorder index over a host-provided state region: records which packet indices have
// arrived (a ring bitmap over [next, next + capacity)), keeps one u32 handle per queued index (the
// host's buffer for it), and tells the run of indices from `next` that can be written in order.
import { VFIO_INVALID_IDX } from "./wire";

// State layout: u32 capacity (a multiple of 32), u32 next, u32 queued, u32 reserved,
// then capacity / 32 bitmap words, then capacity u32 handles.
const STATE_HEADER_BYTES: usize = 16;

export const REORDER_OK: u32 = 0;
export const REORDER_INVALID_IDX: u32 = 1;
/** Already queued and not yet written. */
export const REORDER_DUPLICATE: u32 = 2;
/** Below `next`: already written to the device. */
export const REORDER_ALREADY_WRITTEN: u32 = 3;
/** At or beyond next + capacity: more out of order than the index holds. */
export const REORDER_BEYOND_WINDOW: u32 = 4;

/** Bytes of the state region for `capacity` (a multiple of 32) indices. */
export function reorderStateBytes(capacity: u32): u32 {
  return <u32>STATE_HEADER_BYTES + (capacity >>> 3) + (capacity << 2);
}

@inline function bitmap(state: usize): usize {
  return state + STATE_HEADER_BYTES;
}

@inline function handles(state: usize): usize {
  return bitmap(state) + (load<u32>(state) >>> 3);
}

export function reorderInit(state: usize, capacity: u32): void {
  store<u32>(state, capacity);
  store<u32>(state, 0, 4);
  store<u32>(state, 0, 8);
  store<u32>(state, 0, 12);
  memory.fill(bitmap(state), 0, capacity >>> 3);
}

@inline function word(state: usize, slot: u32): usize {
  return bitmap(state) + ((slot >>> 5) << 2);
}

/** Records that packet `idx` arrived, kept in the host's buffer `handle`. */
export function reorderRecord(state: usize, idx: u32, handle: u32): u32 {
  if (idx == VFIO_INVALID_IDX) return REORDER_INVALID_IDX;
  const capacity = load<u32>(state);
  const next = load<u32>(state, 4);
  if (idx < next) return REORDER_ALREADY_WRITTEN;
  if (<u64>idx >= <u64>next + capacity) return REORDER_BEYOND_WINDOW;
  const slot = idx % capacity;
  const w = word(state, slot);
  const bit: u32 = 1 << (slot & 31);
  const bits = load<u32>(w);
  if (bits & bit) return REORDER_DUPLICATE;
  store<u32>(w, bits | bit);
  store<u32>(handles(state) + (<usize>slot << 2), handle);
  store<u32>(state, load<u32>(state, 8) + 1, 8);
  return REORDER_OK;
}

/** The next index to write. */
export function reorderNext(state: usize): u32 {
  return load<u32>(state, 4);
}

/** Indices queued and not yet written. */
export function reorderQueued(state: usize): u32 {
  return load<u32>(state, 8);
}

/** How many indices from `next` on have arrived without a gap: the run the host can write now. */
export function reorderRun(state: usize): u32 {
  const capacity = load<u32>(state);
  const next = load<u32>(state, 4);
  let run: u32 = 0;
  while (run < capacity) {
    const slot = (<u32>((<u64>next + run) % capacity));
    if (!(load<u32>(word(state, slot)) & (1 << (slot & 31)))) break;
    run++;
  }
  return run;
}

/** The handle recorded for queued index `idx` (the host asks only for indices of the current run). */
export function reorderHandle(state: usize, idx: u32): u32 {
  return load<u32>(handles(state) + (<usize>(idx % load<u32>(state)) << 2));
}

/** Marks the first `count` indices of the run written: they leave the index and `next` moves past them. */
export function reorderAdvance(state: usize, count: u32): u32 {
  const capacity = load<u32>(state);
  let next = load<u32>(state, 4);
  for (let i: u32 = 0; i < count; i++) {
    const slot = next % capacity;
    const w = word(state, slot);
    store<u32>(w, load<u32>(w) & ~(<u32>1 << (slot & 31)));
    next++;
  }
  store<u32>(state, next, 4);
  store<u32>(state, load<u32>(state, 8) - count, 8);
  return next;
}
