import { describe, expect, it } from "vitest";
import { renderReport } from "../../src/report/index.js";
import { exampleReport } from "../cli/report-example.js";

/** Renders the report into an isolated iframe, as a browser opening the file would. */
async function open(html: string): Promise<Document> {
  const frame = document.createElement("iframe");
  frame.style.width = "1200px";
  frame.style.height = "900px";
  const loaded = new Promise((resolve) => (frame.onload = resolve));
  frame.srcdoc = html;
  document.body.append(frame);
  await loaded;
  return frame.contentDocument!;
}

type Box = { left: number; right: number; top: number; bottom: number };

function overlap(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

describe("the report in a real browser", () => {
  it("lays out marker and end labels without overlaps, and band labels inside their bands", async () => {
    const doc = await open(renderReport(exampleReport()));
    const svgs = Array.from(doc.querySelectorAll("svg.timeline"));
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) {
      for (const selector of [".marker-label", ".end-label"]) {
        const boxes = Array.from(svg.querySelectorAll(selector)).map((t) => t.getBoundingClientRect());
        expect(boxes.length, selector).toBeGreaterThan(0);
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i], boxes[j]), `${selector} ${i} and ${j}`).toBe(false);
        }
      }
      for (const label of Array.from(svg.querySelectorAll(".band-label"))) {
        const text = label.getBoundingClientRect();
        const band = Array.from(svg.querySelectorAll(".band")).map((b) => b.getBoundingClientRect()).find((b) => b.left <= text.left && text.right <= b.right && b.top <= text.top + 2 && text.bottom - 2 <= b.bottom);
        expect(band, `${label.textContent} fits in its band`).toBeDefined();
      }
    }
  });

  it("shows each state span's details on hover (an SVG title) and nothing is fetched", async () => {
    const before = performance.getEntriesByType("resource").length;
    const doc = await open(renderReport(exampleReport()));
    const band = doc.querySelector('rect.band[data-state="STOP_COPY"]')!;
    expect(band.querySelector("title")!.textContent).toMatch(/^0000:00:04\.0\/vfio \(source\): STOP_COPY from 2\.4 s to 2\.65 s \(242 ms\)$/);
    expect(doc.defaultView!.performance.getEntriesByType("resource")).toHaveLength(0);
    expect(performance.getEntriesByType("resource").length).toBe(before);
  });
});
