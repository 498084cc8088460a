import { init } from "../../codec/wasm/load.js";
import { sharedInstance } from "../../codec/wasm/load.js";
import { isVfioMigrationError } from "../../errors.js";

/** Loads the WASM core unless the application already did (keeping the build it chose). */
export async function ensureCodec(): Promise<void> {
  try {
    sharedInstance();
  } catch (err) {
    if (!isVfioMigrationError(err) || err.code !== "ERR_WASM_NOT_INITIALIZED") throw err;
    await init();
  }
}
