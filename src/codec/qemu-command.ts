// QEMU_VM_COMMAND (`0x08 | be16 cmd | be16 len | len bytes`), every command QEMU 7.2 through 10.x sends,
// with its data (migration/savevm.c `qemu_savevm_send_*`). Fixed lengths are checked as
// loadvm_process_command does; the engine speaks only some of these, the inspector lists them all.
import type { Cursor } from "./qemu-cursor.js";
import { fromUtf8 } from "./bytes.js";
import { MainCommand, MAIN_COMMAND_MAX } from "./constants.js";
import { WireFormatError } from "./errors.js";

/** What a command carried, beside its name. */
export type CommandData =
  | { value?: number }
  /** POSTCOPY_ADVISE: the RAM page-size summary and the target page size (absent from old senders). */
  | { pageSizeSummary?: number; targetPageSize?: number }
  | { block: string; ranges: Array<[start: number, length: number]> }
  /** PACKAGED: the bytes that follow the command and hold the packaged records (read on as usual). */
  | { length: number }
  | { block: string };

/** Lengths QEMU requires (`mig_cmd_args[].len`); commands absent here have a variable length. */
const FIXED: ReadonlyMap<number, number> = new Map([
  [MainCommand.OPEN_RETURN_PATH, 0],
  [MainCommand.PING, 4],
  [MainCommand.POSTCOPY_LISTEN, 0],
  [MainCommand.POSTCOPY_RUN, 0],
  [MainCommand.PACKAGED, 4],
  [MainCommand.ENABLE_COLO, 0],
  [MainCommand.POSTCOPY_RESUME, 0],
  [MainCommand.SWITCHOVER_START, 0],
]);

const ADVISE_BYTES = 16;

/** Reads a command after its type byte: its name and data. */
export function readCommand(c: Cursor): { command: string } & CommandData {
  const at = c.offset;
  const command = c.u16();
  const lengthAt = c.offset;
  const length = c.u16();
  if (command === MainCommand.INVALID || command >= MAIN_COMMAND_MAX) throw new WireFormatError("ERR_WIRE_UNKNOWN_COMMAND", `unknown command ${command}`, at);
  const name = MainCommand[command];
  const fixed = FIXED.get(command);
  if ((fixed !== undefined && length !== fixed) || (command === MainCommand.POSTCOPY_ADVISE && length !== 0 && length !== ADVISE_BYTES)) {
    throw new WireFormatError("ERR_WIRE_COMMAND_LENGTH", `command ${name} has length ${length}, expected ${fixed ?? `0 or ${ADVISE_BYTES}`}`, lengthAt);
  }
  if (length === 0) return { command: name };
  const data = c.bytes(length);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (command) {
    case MainCommand.PING:
      return { command: name, value: view.getUint32(0) };
    case MainCommand.PACKAGED:
      return { command: name, length: view.getUint32(0) };
    case MainCommand.POSTCOPY_ADVISE:
      return { command: name, pageSizeSummary: Number(view.getBigUint64(0)), targetPageSize: Number(view.getBigUint64(8)) };
    case MainCommand.RECV_BITMAP:
      return { command: name, block: fromUtf8(data.subarray(1, 1 + data[0])) ?? "" };
    case MainCommand.POSTCOPY_RAM_DISCARD:
      return { command: name, ...discard(data, lengthAt) };
    default:
      return { command: name };
  }
}

/** `u8 version (0) | u8 len | name | 0 | (be64 start, be64 length)...`. */
function discard(data: Uint8Array, at: number): { block: string; ranges: Array<[number, number]> } {
  const nameEnd = 2 + (data[1] ?? 0);
  if (data.length < nameEnd + 1 || (data.length - nameEnd - 1) % 16 !== 0) {
    throw new WireFormatError("ERR_WIRE_COMMAND_LENGTH", `command POSTCOPY_RAM_DISCARD has length ${data.length}, which its block name and ranges do not fill`, at);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ranges: Array<[number, number]> = [];
  for (let i = nameEnd + 1; i < data.length; i += 16) ranges.push([Number(view.getBigUint64(i)), Number(view.getBigUint64(i + 8))]);
  return { block: fromUtf8(data.subarray(2, nameEnd)) ?? "", ranges };
}
