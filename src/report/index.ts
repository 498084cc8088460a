/**
 * `vfio-migration/report`: The HTML timeline report of a migration: device states on both sides, bytes per channel,
 * pending bytes and markers, rendered to one self-contained page. Browser-safe.
 *
 * @module vfio-migration/report
 */
// Writing the page to a file is ./write.ts (Node only), for the CLI.
export { renderReport, reportDuration } from "./render.js";
export { reportData, RunRecorder, type RunTimeline, type ReportOptions } from "./from-run.js";
export type * from "./types.js";
export type { CliReport } from "./result.js";
