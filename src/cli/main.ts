#!/usr/bin/env node
// Entry of the `vfio-migration` command (./dispatch.ts has the command line itself).
import { EXIT_INTERRUPTED } from "./command.js";
import { main } from "./dispatch.js";

// A reader that stops early (`| head`) is not an error of ours: end quietly instead of crashing on EPIPE.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(process.exitCode ?? 0);
});

// Ctrl-C: a command that listens for it (send, receive, simulate) cancels and reports, then exits 130; a
// command that does not, or a second Ctrl-C, ends the process at once with 130.
let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted || process.listenerCount("SIGINT") === 1) process.exit(EXIT_INTERRUPTED);
  interrupted = true;
});

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = interrupted && status !== 0 ? EXIT_INTERRUPTED : status;
  },
  (err: unknown) => {
    process.stderr.write(`vfio-migration: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
