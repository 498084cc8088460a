// The HTML timeline report: browser-safe (writing a file is ./write.ts, Node only).
export { renderReport, reportDuration } from "./render.js";
export { reportData, RunRecorder, type RunTimeline, type ReportOptions } from "./from-run.js";
export type * from "./types.js";
export type { CliReport } from "../report.js";
