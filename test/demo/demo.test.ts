import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEMO = join(ROOT, "site", "demo");
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

/** A static file server for site/demo on 127.0.0.1, as anyone would serve the built demo. */
async function serve(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    const file = path.endsWith(sep) ? join(path, "index.html") : path;
    if (!file.startsWith(dir) || !(await stat(file).then((s) => s.isFile(), () => false))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface JsonResult {
  status: string;
  error: unknown;
  downtimeMs: number | null;
  devices: { name: string; sourceDigest: string | null; destinationDigest: string | null; finalState: string }[];
  trace: { seq: number; side: string; device: string; state: string }[];
}

describe("the browser demo (npm run build:demo, served over HTTP, in Chromium)", () => {
  let browser: Browser;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    // The same build as `npm run build:demo`, once for this file.
    await build({ configFile: join(ROOT, "vite.demo.config.ts"), logLevel: "error" });
    ({ server, origin } = await serve(DEMO));
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic"],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("migrates simulated devices between two Web Workers and prints the --json result with equal digests", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("about:") && foreign.push(r.url()));

    await page.goto(`${origin}/?devices=3&state-size=4MiB&switchover-ack=1`);
    const text = await page.locator("#result").textContent({ timeout: 60_000 });
    const result = JSON.parse(text!) as JsonResult;

    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    expect(result.status).toBe("completed");
    expect(result.error).toBeNull();
    expect(result.downtimeMs).toBeGreaterThan(0);
    expect(result.devices).toHaveLength(3);
    for (const device of result.devices) {
      expect(device.sourceDigest).toMatch(/\S/);
      expect(device.destinationDigest).toBe(device.sourceDigest);
      expect(device.finalState).toBe("RUNNING");
    }
    // Both workers' state changes, merged in time order and numbered.
    expect(result.trace.map((e) => e.seq)).toEqual(result.trace.map((_, i) => i + 1));
    expect(new Set(result.trace.map((e) => e.side))).toEqual(new Set(["source", "destination"]));

    // The timeline report is on the page too.
    const report = page.frameLocator("#report");
    await expect.poll(() => report.locator("svg.timeline").count()).toBeGreaterThan(0);
    const whole = report.locator("svg.timeline").first();
    expect(await whole.locator('rect.band[data-state="RESUMING"]').count()).toBe(3);
    expect(await whole.locator("rect.downtime").count()).toBe(1);
    await page.close();
  });

  it("shows a refused migration as a failed --json result, with the source devices left RUNNING", async () => {
    const page = await browser.newPage();
    // Several devices without P2P: QEMU refuses before anything changes.
    await page.goto(`${origin}/?devices=2&state-size=1MiB&flags=STOP_COPY,PRE_COPY&switchover-ack=0`);
    const result = JSON.parse((await page.locator("#result").textContent({ timeout: 60_000 }))!) as JsonResult & { error: { code: string; message: string } };
    expect(result.status).toBe("failed");
    expect(result.error.code).toBe("ERR_P2P_REQUIRED");
    expect(result.error.message).toContain("0000:00:04.0/vfio");
    for (const device of result.devices) expect(device.finalState).toBe("RUNNING");
    expect(await page.locator("#outcome").getAttribute("class")).toContain("bad");
    await page.close();
  });

  it("answers a bad setting in the query string with a usage error, starting no migration", async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/?devices=2&no-such-option=1`);
    const result = JSON.parse((await page.locator("#result").textContent({ timeout: 30_000 }))!) as { status: string; error: { code: string; message: string } };
    expect(result).toEqual({ status: "failed", error: { code: "ERR_CLI_USAGE", message: "unknown setting 'no-such-option' in the query string" } });
    await page.close();
  });
});
