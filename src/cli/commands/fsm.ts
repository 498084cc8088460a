// `vfio-migration fsm`: prints the path the kernel walks between two device states.
import { parseState, stateName, transitionPath } from "../../fsm/index.js";
import { EXIT_FAILURE, parse, printError, printUsageError } from "../command.js";
import { flagsOption, usageError } from "../options.js";

const USAGE = `usage: vfio-migration fsm --from STATE --to STATE [--flags STOP_COPY,P2P,PRE_COPY] [--json]

Prints the states the kernel's vfio_mig_get_next_state() walks from --from to --to for a device
with --flags (default STOP_COPY,P2P,PRE_COPY), e.g. RUNNING > RUNNING_P2P > STOP > STOP_COPY.
--json prints the names as a JSON array, or {"error":{"code","message"}} when the input is invalid.
Exit status: 0, 1 for a transition the kernel refuses, 2 for a bad command line.`;

const OPTIONS = {
  flags: { type: "string", default: "STOP_COPY,P2P,PRE_COPY" },
  from: { type: "string" },
  to: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  let request;
  try {
    const options = parse(argv, OPTIONS);
    if (options.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (options.from === undefined || options.to === undefined) throw usageError("--from and --to are required");
    request = { flags: flagsOption(options.flags), from: parseState(options.from), to: parseState(options.to) };
  } catch (err) {
    return printUsageError(err, json, USAGE);
  }
  try {
    const path = transitionPath(request.flags, request.from, request.to).map(stateName);
    process.stdout.write((json ? JSON.stringify(path) : path.join(" > ")) + "\n");
    return 0;
  } catch (err) {
    printError(err, json);
    return EXIT_FAILURE;
  }
}
