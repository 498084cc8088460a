// `npm run build:demo`: the browser demo in demo/ built to site/demo/ (outside dist/, so it is never packed) (index.html plus assets, relative
// paths so any static HTTP server can serve it). Source and destination run in module Web Workers.
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const NODE_BUILTINS = new Set(builtinModules);

/**
 * Fails the build when anything a browser would load imports a Node built-in. Vite would otherwise
 * swap in an empty stub with a warning, and the page would break only when that code path runs.
 */
export function rejectNodeBuiltins(): Plugin {
  return {
    name: "reject-node-builtins",
    enforce: "pre",
    resolveId(source, importer) {
      if (source.startsWith("node:") || NODE_BUILTINS.has(source.split("/")[0])) {
        this.error(`${importer ?? "an entry"} imports the Node built-in '${source}', which browsers do not have`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL("./demo", import.meta.url)),
  base: "./",
  logLevel: "warn",
  plugins: [rejectNodeBuiltins()],
  worker: { format: "es", plugins: () => [rejectNodeBuiltins()] },
  build: {
    outDir: fileURLToPath(new URL("./site/demo", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
  },
});
