// The package as a user gets it: `npm pack` (once) ships exactly the compiled library, its declarations, the
// CLI and the meta files, whatever else lies in dist/; and a strict consumer project type-checks against
// the packed declarations (tsc once). `npm test` builds first; `prepack` builds for a real pack.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = resolve(".");

function tsSources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? tsSources(path) : path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

// What earlier tools leave in dist/ (API pages, maps): none of it may be packed.
const STRAY = ["dist/__stray__/index.html", "dist/__stray__/assets/search.js.map", "dist/index.js.map"];

describe("the packed package", () => {
  let work: string;
  let packed: string[];

  beforeAll(async () => {
    for (const file of STRAY) {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, "stray");
    }
    work = mkdtempSync(join(tmpdir(), "vfio-migration-pack-"));
    try {
      const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { maxBuffer: 16 << 20 });
      const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
      packed = info.files.map((f) => f.path).sort();
      const installed = join(work, "consumer", "node_modules", "vfio-migration");
      mkdirSync(installed, { recursive: true });
      await run("tar", ["-xzf", join(work, info.filename), "-C", installed, "--strip-components=1"]);
    } finally {
      rmSync("dist/__stray__", { recursive: true, force: true });
      rmSync("dist/index.js.map", { force: true });
    }
    const consumer = join(work, "consumer");
    for (const file of ["index.ts", "tsconfig.json"]) copyFileSync(join(ROOT, "test/package/consumer", file), join(consumer, file));
    // The consumer's own dev dependencies: Node's types (the package's declarations use them).
    mkdirSync(join(consumer, "node_modules", "@types"));
    symlinkSync(join(ROOT, "node_modules/@types/node"), join(consumer, "node_modules/@types/node"));
    symlinkSync(join(ROOT, "node_modules/undici-types"), join(consumer, "node_modules/undici-types"));
  }, 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("ships each source module as .js and .d.ts, the meta files, and nothing else", () => {
    const modules = tsSources("src").map((file) => relative("src", file).replace(/\.ts$/, ""));
    const expected = [...modules.flatMap((m) => [`dist/${m}.js`, `dist/${m}.d.ts`]), "CHANGELOG.md", "LICENSE", "README.md", "package.json"].sort();
    expect(modules).toContain("cli/main");
    expect(packed).toEqual(expected);
  });

  it("type-checks a strict consumer (exactOptionalPropertyTypes, no skipLibCheck) that reads result.error.code", async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const checked = await run(process.execPath, [tsc, "-p", join(work, "consumer")]).then(
      () => "",
      (err: { stdout: string }) => err.stdout,
    );
    expect(checked).toBe("");
  }, 60_000);
});
