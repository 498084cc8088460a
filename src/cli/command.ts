// What every command shares: option parsing, --help, exit codes, and errors as one JSON object with --json.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { init } from "../codec/index.js";
import { isVfioMigrationError, VfioMigrationError } from "../errors.js";
import { usageError } from "./options.js";

/** A migration or command that ran and failed (and the usual status of any other failure). */
export const EXIT_FAILURE = 1;
/** Bad command line: every command, before anything starts. */
export const EXIT_USAGE = 2;
/** Interrupted by SIGINT (Ctrl-C): 128 + 2, as shells report it. */
export const EXIT_INTERRUPTED = 130;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv`, then `build`s the command's setup from the options; `exit` is set when the command is already done. */
export async function prepare<T extends Options, S>(
  argv: string[],
  options: T,
  usage: string,
  build: (args: ReturnType<typeof parse<T>>) => S,
): Promise<{ json: boolean; setup: S; exit?: undefined } | { json: boolean; exit: number }> {
  const json = argv.includes("--json");
  try {
    const args = parse(argv, options);
    if ((args as { help?: boolean }).help) {
      process.stdout.write(usage + "\n");
      return { json, exit: 0 };
    }
    const setup = build(args);
    await init();
    return { json, setup };
  } catch (err) {
    return { json, exit: printUsageError(err, json, usage) };
  }
}

/** parseArgs with our typed error for unknown or malformed options. */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"] {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

/** The code and message of any error a command reports: ours as they are, the system's (ENOENT, EADDRINUSE, ...) as ERR_CLI_SYSTEM. */
export function errorObject(err: unknown): { code: string; message: string } {
  if (isVfioMigrationError(err)) return { code: err.code, message: err.message };
  const system = err as { code?: unknown; syscall?: unknown; message?: unknown };
  if (typeof system?.syscall === "string" && typeof system.code === "string") {
    return { code: "ERR_CLI_SYSTEM", message: String(system.message) };
  }
  return { code: "ERR_CLI_INTERNAL", message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}

/** Prints an error: `{"error":{code,message}}` on stdout with --json (the only thing on stdout), else a line on stderr. */
export function printError(err: unknown, json: boolean, usage?: string): void {
  const { code, message } = errorObject(err);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + "\n");
  else process.stderr.write(`vfio-migration: ${code}: ${message}\n${usage ? usage + "\n" : ""}`);
}

/** A usage or setup error before anything ran: printed, and the usage exit status. */
export function printUsageError(err: unknown, json: boolean, usage: string): number {
  printError(isVfioMigrationError(err) ? err : new VfioMigrationError("ERR_CLI_USAGE", errorObject(err).message), json, usage);
  return EXIT_USAGE;
}

/** Calls `onInterrupt` on the first SIGINT; a second one ends the process (main.ts). Returns the remover. */
export function onInterrupt(onInterrupt: () => void): () => void {
  process.once("SIGINT", onInterrupt);
  return () => process.off("SIGINT", onInterrupt);
}
