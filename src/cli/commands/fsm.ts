// `vfio-migration fsm`: prints the path the kernel walks between two device states.
import { parseArgs } from "node:util";
import { VfioMigrationError } from "../../errors.js";
import { parseFlags, parseState, stateName, transitionPath } from "../../fsm/index.js";

const USAGE = `usage: vfio-migration fsm --from STATE --to STATE [--flags STOP_COPY,P2P,PRE_COPY] [--json]

Prints the states the kernel's vfio_mig_get_next_state() walks from --from to --to for a device
with --flags (default STOP_COPY,P2P,PRE_COPY), e.g. RUNNING > RUNNING_P2P > STOP > STOP_COPY.
--json prints the names as a JSON array, or {"error":{"code","message"}} when the input is invalid.`;

class UsageError extends VfioMigrationError {
  constructor(message: string) {
    super("ERR_FSM_USAGE", message);
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        flags: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function describe(flags: string | undefined, from: string | undefined, to: string | undefined): string[] {
  if (from === undefined || to === undefined) throw new UsageError(`--from and --to are required\n${USAGE}`);
  const bits = parseFlags(flags ?? "STOP_COPY,P2P,PRE_COPY");
  return transitionPath(bits, parseState(from), parseState(to)).map(stateName);
}

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    const options = parse(argv);
    if (options.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    const path = describe(options.flags, options.from, options.to);
    process.stdout.write((json ? JSON.stringify(path) : path.join(" > ")) + "\n");
    return 0;
  } catch (err) {
    if (!(err instanceof VfioMigrationError)) throw err;
    if (json) process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message } }) + "\n");
    else process.stderr.write(`vfio-migration fsm: ${err.message}\n`);
    return 1;
  }
}

