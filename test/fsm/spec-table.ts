// The next-hop table and the flag requirements, copied verbatim from shared/spec/vfio-uapi.md
// (which transcribes the kernel's vfio_from_fsm_table and state_flags_table). Parsed as text so
// the tests' expectations come from the spec, not from src/fsm.
export const SPEC_TABLE = `
| cur \\ target | STOP | RUNNING | STOP_COPY | RESUMING | RUNNING_P2P | PRE_COPY | PRE_COPY_P2P | ERROR |
|---|---|---|---|---|---|---|---|---|
| STOP | STOP | RUNNING_P2P | STOP_COPY | RESUMING | RUNNING_P2P | RUNNING_P2P | RUNNING_P2P | ERROR |
| RUNNING | RUNNING_P2P | RUNNING | RUNNING_P2P | RUNNING_P2P | RUNNING_P2P | PRE_COPY | RUNNING_P2P | ERROR |
| STOP_COPY | STOP | STOP | STOP_COPY | STOP | STOP | ERROR | ERROR | ERROR |
| RESUMING | STOP | STOP | STOP | RESUMING | STOP | STOP | STOP | ERROR |
| RUNNING_P2P | STOP | RUNNING | STOP | STOP | RUNNING_P2P | RUNNING | PRE_COPY_P2P | ERROR |
| PRE_COPY | RUNNING | RUNNING | PRE_COPY_P2P | RUNNING | RUNNING | PRE_COPY | PRE_COPY_P2P | ERROR |
| PRE_COPY_P2P | RUNNING_P2P | RUNNING_P2P | STOP_COPY | RUNNING_P2P | RUNNING_P2P | PRE_COPY | PRE_COPY_P2P | ERROR |
| ERROR | ERROR | ERROR | ERROR | ERROR | ERROR | ERROR | ERROR | ERROR |
`;

/** "STOP, RUNNING, STOP_COPY, RESUMING need {STOP_COPY}; RUNNING_P2P needs {STOP_COPY, P2P}; ..." */
export const SPEC_REQUIRED: Record<string, string[] | "never"> = {
  STOP: ["STOP_COPY"],
  RUNNING: ["STOP_COPY"],
  STOP_COPY: ["STOP_COPY"],
  RESUMING: ["STOP_COPY"],
  RUNNING_P2P: ["STOP_COPY", "P2P"],
  PRE_COPY: ["STOP_COPY", "PRE_COPY"],
  PRE_COPY_P2P: ["STOP_COPY", "P2P", "PRE_COPY"],
  ERROR: "never",
};

/** The uAPI values from the spec's states table. */
export const SPEC_VALUES: Record<string, number> = {
  ERROR: 0, STOP: 1, RUNNING: 2, STOP_COPY: 3, RESUMING: 4, RUNNING_P2P: 5, PRE_COPY: 6, PRE_COPY_P2P: 7,
};
export const SPEC_FLAG_VALUES: Record<string, number> = { STOP_COPY: 1, P2P: 2, PRE_COPY: 4 };

/** table[cur][target] by name. */
export function parseSpecTable(): Record<string, Record<string, string>> {
  const rows = SPEC_TABLE.trim().split("\n").map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
  const targets = rows[0].slice(1);
  const table: Record<string, Record<string, string>> = {};
  for (const row of rows.slice(2)) {
    table[row[0]] = Object.fromEntries(targets.map((target, i) => [target, row[i + 1]]));
  }
  return table;
}

export type SpecAnswer = { ok: true; next: string } | { ok: false };

/** The spec's four-step algorithm, step by step, over names. */
export function specNextState(flags: number, cur: string | undefined, target: string | undefined): SpecAnswer {
  const table = parseSpecTable();
  const supported = (name: string | undefined): boolean => {
    if (name === undefined) return false;
    const need = SPEC_REQUIRED[name];
    return need !== "never" && need.every((flag) => (flags & SPEC_FLAG_VALUES[flag]) !== 0);
  };
  if (!supported(cur)) return { ok: false }; // step 1
  if (!supported(target)) return { ok: false }; // step 2
  let next = table[cur!][target!]; // step 3
  while (!supported(next) && next !== "ERROR") next = table[next][target!];
  return next === "ERROR" ? { ok: false } : { ok: true, next }; // step 4
}
