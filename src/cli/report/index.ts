export { renderReport, reportDuration } from "./render.js";
export type * from "./types.js";
