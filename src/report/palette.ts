// Colours and names of what the report draws; the legend is built from these same tables.
import type { MarkerKind, StateName } from "./types.js";

export interface StateStyle {
  readonly fill: string;
  readonly text: string;
}

/** Running states green, pre-copy blue, stop-copy orange, resuming violet; *_P2P the paler twin. */
export const STATE_STYLES: Readonly<Record<StateName, StateStyle>> = {
  RUNNING: { fill: "#2f9e5f", text: "#ffffff" },
  RUNNING_P2P: { fill: "#9fd8b5", text: "#17402a" },
  PRE_COPY: { fill: "#2f6fd0", text: "#ffffff" },
  PRE_COPY_P2P: { fill: "#9dbdf0", text: "#102c57" },
  STOP_COPY: { fill: "#e8862a", text: "#ffffff" },
  STOP: { fill: "#9aa0a8", text: "#1d2127" },
  RESUMING: { fill: "#8a56cc", text: "#ffffff" },
  ERROR: { fill: "#d33c3c", text: "#ffffff" },
};

/** Legend order: the path a device takes through a migration. */
export const STATE_ORDER: readonly StateName[] = [
  "RUNNING",
  "PRE_COPY",
  "PRE_COPY_P2P",
  "RUNNING_P2P",
  "STOP_COPY",
  "STOP",
  "RESUMING",
  "ERROR",
];

export interface MarkerStyle {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  readonly description: string;
}

export const MARKER_STYLES: Readonly<Record<MarkerKind, MarkerStyle>> = {
  DEV_INIT_DATA_SENT: { label: "DEV_INIT_DATA_SENT", color: "#0f766e", description: "a device's initial pre-copy data is all sent" },
  SWITCHOVER_ACK: { label: "SWITCHOVER_ACK", color: "#0f766e", dash: "5 3", description: "the destination approves switchover" },
  SWITCHOVER_START: { label: "SWITCHOVER_START", color: "#7c3aed", dash: "2 2", description: "multifd load workers may start" },
  VM_STOP: { label: "VM stop", color: "#c0262d", description: "source VM stopped: downtime begins" },
  VM_START: { label: "VM start", color: "#15803d", description: "destination VM runs: downtime ends" },
};

export const DOWNTIME_FILL = "rgba(220, 38, 38, 0.10)";
export const DOWNTIME_EDGE = "#dc2626";
export const THRESHOLD_COLOR = "#d9480f";
export const PENDING_COLOR = "#2f6fd0";

const CHANNEL_COLORS = ["#1e3a8a", "#e8862a", "#0f9d8f", "#c2417b", "#7c3aed", "#65a30d", "#b45309", "#0284c7"];

export function channelColor(index: number): string {
  return CHANNEL_COLORS[index % CHANNEL_COLORS.length];
}
