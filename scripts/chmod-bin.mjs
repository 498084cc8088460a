// tsc does not keep the executable bit; npm links the bin either way, but direct runs need it.
import { chmodSync } from "node:fs";
chmodSync(new URL("../dist/cli/main.js", import.meta.url), 0o755);
