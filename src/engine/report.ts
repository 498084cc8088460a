// The destination's REPORT (return path 0x0101): checked for shape before the source believes it.
import type { DestinationReport } from "./result.js";

const STATUSES: readonly string[] = ["completed", "failed", "cancelled", "loaded"] satisfies DestinationReport["status"][];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The report if `json` has its shape; otherwise a plain reason for the caller to wrap in a typed error. */
export function parseReport(json: unknown): DestinationReport | string {
  if (!isObject(json)) return "is not a JSON object";
  if (typeof json.status !== "string" || !STATUSES.includes(json.status)) return `has an unknown status ${JSON.stringify(json.status)}`;
  const { error, loadMs, digests } = json;
  if (error !== undefined && !(isObject(error) && typeof error.code === "string" && typeof error.message === "string")) {
    return "has an error that is not {code, message} strings";
  }
  if (json.status === "failed" && error === undefined) return "says failed without an error";
  if (loadMs !== undefined && typeof loadMs !== "number") return "has a loadMs that is not a number";
  if (digests !== undefined && !(isObject(digests) && Object.values(digests).every((d) => d === undefined || d === null || typeof d === "string"))) {
    return "has digests that are not strings";
  }
  return json as unknown as DestinationReport;
}
