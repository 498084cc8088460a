// Runs the built CLI (npm test builds first) and collects its output.
import { spawn, type ChildProcess } from "node:child_process";

export const CLI = "dist/cli/main.js";

export interface CliRun {
  code: number | null;
  /** The signal that killed the process, if one did. */
  signal?: NodeJS.Signals | null;
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
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Starts `receive --listen 127.0.0.1:0 ...receiveArgs --json`, waits for the address it prints, then
 * runs `send --connect ADDRESS ...sendArgs --json`; returns both runs and both JSON reports.
 */
export async function sendReceive(receiveArgs: string[], sendArgs: string[]) {
  let resolveAddress!: (address: string) => void;
  const address = new Promise<string>((resolve) => (resolveAddress = resolve));
  const receiving = runCli(["receive", "--listen", "127.0.0.1:0", ...receiveArgs, "--json"], {
    onStderr: (text) => {
      const m = /listening on (\S+)/.exec(text);
      if (m) resolveAddress(m[1]);
    },
  });
  const sending = runCli(["send", "--connect", await address, ...sendArgs, "--json"]);
  const [send, receive] = await Promise.all([sending, receiving]);
  return { send, receive, source: JSON.parse(send.stdout), destination: JSON.parse(receive.stdout) };
}
