import { describe, expect, it } from "vitest";
import { DeviceState, MigrationFlags, allStateNames, flagNames, parseFlags, parseState, stateName } from "../../src/fsm/index.js";

describe("state and flag names", () => {
  it("round-trip every state", () => {
    expect(allStateNames()).toEqual(["ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P"]);
    for (const name of allStateNames()) expect(stateName(parseState(name))).toBe(name);
    expect(parseState(" pre_copy_p2p ")).toBe(DeviceState.PRE_COPY_P2P);
  });

  it("print out-of-range values visibly", () => {
    expect(stateName(8)).toBe("<8>");
    expect(stateName(-1)).toBe("<-1>");
  });

  it("reject unknown names with ERR_FSM_UNKNOWN_NAME", () => {
    expect(() => parseState("PAUSED")).toThrow(expect.objectContaining({ code: "ERR_FSM_UNKNOWN_NAME" }));
    expect(() => parseState("0")).toThrow(expect.objectContaining({ code: "ERR_FSM_UNKNOWN_NAME" }));
    expect(() => parseFlags("")).toThrow(expect.objectContaining({ code: "ERR_FSM_UNKNOWN_NAME" }));
    expect(() => parseFlags("STOP_COPY,DMA")).toThrow(/unknown migration flag 'DMA'/);
  });

  it("parse and print flag sets", () => {
    expect(parseFlags("STOP_COPY,P2P,PRE_COPY")).toBe(7);
    expect(parseFlags("stop_copy|pre_copy")).toBe(MigrationFlags.STOP_COPY | MigrationFlags.PRE_COPY);
    expect(flagNames(7)).toEqual(["STOP_COPY", "P2P", "PRE_COPY"]);
    expect(flagNames(1 | 16)).toEqual(["STOP_COPY", "0x10"]);
  });
});
