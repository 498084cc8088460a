// What `npm pack` ships: exactly the compiled library, its declarations, the CLI and the four meta files,
// whatever else lies in dist/ (pages, maps) from earlier runs. `npm test` builds first; `prepack` builds too.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

function tsSources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? tsSources(path) : path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

// Left behind by earlier tools; none of it may be packed.
const STRAY = ["dist/__stray__/index.html", "dist/__stray__/assets/search.js.map", "dist/index.js.map"];

describe("npm pack", () => {
  let packed: string[];

  beforeAll(async () => {
    for (const file of STRAY) {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, "stray");
    }
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { maxBuffer: 16 << 20 });
    packed = (JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path).sort();
  }, 60_000);

  afterAll(() => {
    rmSync("dist/__stray__", { recursive: true, force: true });
    rmSync("dist/index.js.map", { force: true });
  });

  it("ships each source module as .js and .d.ts, the meta files, and nothing else", () => {
    const modules = tsSources("src").map((file) => relative("src", file).replace(/\.ts$/, ""));
    const expected = [
      ...modules.flatMap((m) => [`dist/${m}.js`, `dist/${m}.d.ts`]),
      "CHANGELOG.md",
      "LICENSE",
      "README.md",
      "package.json",
    ].sort();
    expect(modules).toContain("cli/main");
    expect(packed).toEqual(expected);
  });
});
