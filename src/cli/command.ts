// The start every migration command shares: parse options, answer --help, turn bad options into exit 2.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { init } from "../codec/index.js";
import { usageError } from "./options.js";
import { printUsageError } from "./report.js";

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
