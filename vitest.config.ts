import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { availableParallelism } from "node:os";

// Debian's Chromium: browser downloads are blocked here, so playwright drives the system binary.
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const setupFiles = ["test/support/byte-equality.ts"];

export default defineConfig({
  test: {
    // vitest's default is cores - 1 files at a time: one on 2 cores. Many files mostly wait on child
    // processes, sockets and threads, so two at a time overlap those waits (about 15% less wall time there).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**"],
          setupFiles,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The engine on the scalar WASM build too (the node project gets SIMD where the engine has it),
        // as as-sha256 runs its whole suite on both; the codec tests take both builds themselves (FLAVORS).
        test: {
          name: "engine-scalar",
          include: ["test/engine/**/*.test.ts"],
          // The queue-bound tests are flow control, the same on either build: once (on SIMD) is enough.
          exclude: ["test/engine/multifd/queue-bound.test.ts"],
          env: { VFIO_MIGRATION_WASM: "scalar" },
          setupFiles,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          setupFiles,
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath,
                args: [
                  "--no-sandbox",
                  "--disable-gpu",
                  "--disable-quic",
                  "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update",
                  "--disable-sync",
                ],
              },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
