import { fileURLToPath } from "node:url";
import { build, type Rollup } from "vite";
import { describe, expect, it } from "vitest";
import { rejectNodeBuiltins } from "../../vite.demo.config.js";

async function bundle(entry: string): Promise<Rollup.OutputChunk[]> {
  const out = (await build({
    configFile: false,
    logLevel: "silent",
    plugins: [rejectNodeBuiltins()],
    build: {
      write: false,
      target: "es2022",
      lib: { entry: fileURLToPath(new URL(entry, import.meta.url)), formats: ["es"], fileName: "bundle" },
      rollupOptions: { treeshake: false },
    },
  })) as Rollup.RollupOutput[];
  return out.flatMap((o) => o.output).filter((c): c is Rollup.OutputChunk => c.type === "chunk");
}

describe("what browsers load", () => {
  it("bundles the package entry (src/index.ts) with no Node built-in in its import graph", async () => {
    const chunks = await bundle("../../src/index.ts");
    const modules = chunks.flatMap((c) => Object.keys(c.modules));
    expect(modules.some((m) => m.endsWith("src/index.ts"))).toBe(true);
    expect(modules.filter((m) => /^(node:|\0?__vite-browser-external)/.test(m))).toEqual([]);
    for (const chunk of chunks) expect(chunk.code).not.toMatch(/from\s*["']node:|import\(["']node:/);
  });

  it("fails the build, naming the importer, when a module imports a Node built-in", async () => {
    await expect(bundle("./fixtures/uses-node.ts")).rejects.toThrow(/uses-node\.ts imports the Node built-in 'node:fs'/);
  });
});
