// Runs the command line in this process (src/, not a stale dist/), capturing what it prints; a few tests
// keep spawning the built bin (run-cli.ts) for what only a process shows: signals, exit codes, two peers.
import { vi } from "vitest";
import { main } from "../../src/cli/dispatch.js";

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(...argv: string[]): Promise<InProcessRun> {
  let stdout = "";
  let stderr = "";
  const capture = (append: (text: string) => void) => (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const done = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    done?.();
    return true;
  };
  const out = vi.spyOn(process.stdout, "write").mockImplementation(capture((t) => (stdout += t)) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(capture((t) => (stderr += t)) as typeof process.stderr.write);
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
