// Output paths are checked before a migration starts, so a typo never costs a migration's result.
import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { makeDirectory } from "../transport/capture.js";
import { usageError } from "./options.js";

const why = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

function writable(path: string, option: string, what: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    throw usageError(`--${option}: cannot write to ${what} '${path}' (${why(err)})`);
  }
}

/** `--capture DIR`: created if missing; must end up a directory we can write in. Returns `dir`. */
export function checkCaptureDir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  const kind = statSync(dir, { throwIfNoEntry: false });
  if (kind && !kind.isDirectory()) throw usageError(`--capture: '${dir}' exists and is not a directory`);
  if (!kind) {
    try {
      makeDirectory(dir);
    } catch (err) {
      throw usageError(`--capture: cannot create the directory '${dir}' (${why(err)})`);
    }
  }
  writable(dir, "capture", "the directory");
  return dir;
}

/** `--report FILE.html`: its directory must exist and be writable, and the file must not be a directory. Returns `file`. */
export function checkReportFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw usageError(`--report: '${file}' is a directory`);
  const dir = dirname(resolve(file));
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw usageError(`--report: the directory '${dir}' does not exist`);
  writable(dir, "report", "the directory");
  return file;
}
