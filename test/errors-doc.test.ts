import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("docs/errors.md", () => {
  const documented = new Set(readFileSync("docs/errors.md", "utf8").match(/`ERR_[A-Z0-9_]+`/g)?.map((c) => c.slice(1, -1)));
  const used = new Set(sourceFiles("src").flatMap((file) => readFileSync(file, "utf8").match(/"ERR_[A-Z0-9_]+"/g)?.map((c) => c.slice(1, -1)) ?? []));

  it("lists every error code used in src/", () => {
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((code) => !documented.has(code)).sort()).toEqual([]);
  });

  it("lists no code that src/ no longer uses", () => {
    expect([...documented].filter((code) => !used.has(code)).sort()).toEqual([]);
  });
});
