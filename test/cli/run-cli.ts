// Runs the built CLI (npm test builds first) and collects its output.
import { spawn, type ChildProcess } from "node:child_process";

export const CLI = "dist/cli/main.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { onStderr?: (text: string, child: ChildProcess) => void } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      options.onStderr?.(stderr, child);
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
