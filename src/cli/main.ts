#!/usr/bin/env node
// Entry of the `vfio-migration` command: each subcommand is a module in ./commands exporting `run(argv)`.
import { VfioMigrationError } from "../errors.js";

const COMMANDS: Record<string, string> = {
  inspect: "inspect FILE [--json]            list what a QEMU main or multifd stream holds",
  fsm: "fsm --flags F --from S --to T [--json]   print the kernel's transition path",
  simulate: "simulate [options]                run a migration of simulated devices in one process",
  send: "send --connect HOST:PORT [options]  migration source",
  receive: "receive --listen HOST:PORT [options] migration destination",
  plan: "plan --link-bandwidth R [options]  predict downtime for each combination of settings",
};

function usage(): string {
  return ["usage: vfio-migration <command> [options]", "", ...Object.values(COMMANDS).map((line) => `  ${line}`)].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    process.stdout.write(usage() + "\n");
    return name ? 0 : 2;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`vfio-migration: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  const command = (await import(`./commands/${name}.js`)) as { run(argv: string[]): Promise<number> };
  return command.run(rest);
}

// A reader that stops early (`| head`) is not an error of ours: end quietly instead of crashing on EPIPE.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    const message = err instanceof VfioMigrationError ? `${err.code}: ${err.message}` : String(err);
    process.stderr.write(`vfio-migration: ${message}\n`);
    process.exitCode = 1;
  },
);
