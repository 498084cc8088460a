import { beforeAll, describe, expect, it } from "vitest";
import { createInstance, init, ReorderIndex, reorderStateBytes, type CodecInstance } from "../../src/codec/index.js";
import { ReorderReference } from "../../src/codec/reference/reorder.js";
import { FLAVORS } from "../support/flavors.js";
import { caught, seededBytes } from "./helpers.js";

describe.each(FLAVORS)("reorder index (%s build)", (flavor) => {
  let instance: CodecInstance;
  beforeAll(async () => {
    await init({ flavor });
    instance = createInstance(1 << 20, flavor);
  });

  const fresh = (capacity: number, subject?: string) => new ReorderIndex(instance, instance.heapBase, capacity, subject);

  it("tells the in-order run and its handles as packets arrive out of order", () => {
    const index = fresh(64);
    index.record(2, 102);
    index.record(1, 101);
    expect([index.next, index.run(), index.queued]).toEqual([0, 0, 2]);
    index.record(0, 100);
    expect(index.run()).toBe(3);
    expect([0, 1, 2].map((idx) => index.handle(idx))).toEqual([100, 101, 102]);
    index.advance(2);
    expect([index.next, index.run(), index.queued]).toEqual([2, 1, 1]);
    index.record(3, 103);
    expect(index.run()).toBe(2);
  });

  it("refuses duplicates, indices already written, 0xffffffff and indices beyond its window", () => {
    const index = fresh(40, "0000:00:04.0/vfio");
    expect(index.capacity).toBe(64);
    index.record(0, 1);
    index.record(5, 1);
    const duplicate = caught(() => index.record(5, 2));
    expect([duplicate.code, duplicate.message]).toEqual(["ERR_REORDER_DUPLICATE", "0000:00:04.0/vfio: state buffer 5 already filled"]);
    index.advance(1);
    expect(caught(() => index.record(0, 1)).code).toBe("ERR_REORDER_DUPLICATE");
    expect(caught(() => index.record(0xffffffff, 1)).code).toBe("ERR_REORDER_INVALID_IDX");
    expect(caught(() => index.record(65, 1)).code).toBe("ERR_REORDER_BEYOND_WINDOW");
    index.record(64, 1);
    expect(index.handle(5)).toBe(1);
    expect(caught(() => index.advance(1)).code).toBe("ERR_REORDER_STATE");
  });

  it("refuses a bad state region or capacity", () => {
    expect(caught(() => new ReorderIndex(instance, instance.heapBase + 2, 32)).code).toBe("ERR_REORDER_STATE");
    expect(caught(() => new ReorderIndex(instance, instance.byteLength - 16, 32)).code).toBe("ERR_REORDER_STATE");
    expect(caught(() => new ReorderIndex(instance, instance.heapBase, 0)).code).toBe("ERR_REORDER_STATE");
    expect(reorderStateBytes(32)).toBe(16 + 4 + 128);
  });

  it("equals the TypeScript reference on random arrivals, duplicates and writes", () => {
    const codes = [0, "ERR_REORDER_INVALID_IDX", "ERR_REORDER_DUPLICATE", "ERR_REORDER_DUPLICATE", "ERR_REORDER_BEYOND_WINDOW"];
    for (let round = 0; round < 20; round++) {
      const capacity = 32 * (1 + (round % 4));
      const index = fresh(capacity);
      const reference = new ReorderReference(capacity);
      const noise = seededBytes(4000, round + 1);
      const got: unknown[] = [];
      const expected: unknown[] = [];
      for (let step = 0; step < 1000; step++) {
        const r = noise[step * 4];
        if (r < 200) {
          const idx = (r < 4 ? 0xffffffff : reference.next + ((noise[step * 4 + 1] * 7 + noise[step * 4 + 2]) % (capacity + 8)) - 4) >>> 0;
          const handle = noise[step * 4 + 3] * 1000 + step;
          expected.push(codes[reference.record(idx, handle)]);
          try {
            index.record(idx, handle);
            got.push(0);
          } catch (err) {
            got.push((err as { code: string }).code);
          }
        } else {
          const run = reference.run();
          const handles = Array.from({ length: run }, (_, i) => reference.handle(reference.next + i));
          expected.push([run, reference.queued, handles]);
          got.push([index.run(), index.queued, handles.map((_, i) => index.handle(reference.next + i))]);
          const count = run === 0 ? 0 : 1 + (noise[step * 4 + 1] % run);
          index.advance(count);
          expected.push(reference.advance(count));
          got.push(index.next);
        }
      }
      expect(got).toEqual(expected);
    }
  });
});
