// The `vfio-migration` command line: global options, `help`, and each subcommand's `run(argv)` (./commands).
import { readFileSync } from "node:fs";
import { EXIT_USAGE, printError } from "./command.js";
import { usageError } from "./options.js";

const COMMANDS: Record<string, string> = {
  inspect: "inspect FILE [--json]            list what a QEMU main or multifd stream holds",
  fsm: "fsm --flags F --from S --to T [--json]   print the kernel's transition path",
  simulate: "simulate [options]                run a migration of simulated devices in one process",
  send: "send --connect HOST:PORT [options]  migration source",
  receive: "receive --listen HOST:PORT [options] migration destination",
  plan: "plan --link-bandwidth R [options]  predict downtime for each combination of settings",
};

export function usage(): string {
  return [
    "usage: vfio-migration <command> [options]",
    "",
    ...Object.values(COMMANDS).map((line) => `  ${line}`),
    "",
    "vfio-migration help COMMAND (or COMMAND --help) describes a command's options; --version prints the version.",
    "Exit status: 0 done, 1 failed, 2 bad command line, 130 interrupted (Ctrl-C).",
  ].join("\n");
}

/** The package's version, from the package.json next to dist/ (or src/). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

type Command = { run(argv: string[]): Promise<number> };

// Each command loads only when run, so `fsm` never pays for the engine.
const LOADERS: Record<string, () => Promise<Command>> = {
  inspect: () => import("./commands/inspect.js"),
  fsm: () => import("./commands/fsm.js"),
  simulate: () => import("./commands/simulate.js"),
  send: () => import("./commands/send.js"),
  receive: () => import("./commands/receive.js"),
  plan: () => import("./commands/plan.js"),
};

function load(name: string): Promise<Command> {
  return LOADERS[name]();
}

/** Runs the command line `argv` (without node and the script) and resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const json = argv.includes("--json");
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === "--help" || name === "-h") {
    process.stdout.write(usage() + "\n");
    return 0;
  }
  if (name === "help" && (rest.length === 0 || Object.hasOwn(COMMANDS, rest[0]))) {
    return rest.length === 0 ? (process.stdout.write(usage() + "\n"), 0) : (await load(rest[0])).run(["--help"]);
  }
  if (name === undefined || !Object.hasOwn(COMMANDS, name)) {
    const topic = name === "help" ? rest[0] : name;
    printError(usageError(topic === undefined ? "no command given" : `unknown command '${topic}'`), json, usage());
    return EXIT_USAGE;
  }
  const command = await load(name);
  try {
    return await command.run(rest);
  } catch (err) {
    // Whatever a command did not handle itself: still one JSON object with --json, never a stack trace for our errors.
    printError(err, json);
    return 1;
  }
}
