import { describe, expect, it } from "vitest";
import {
  decodeRecoveryAnswer, decodeRecoveryQuery, encodeRecoveryAnswer, encodeRecoveryQuery, RecoveryOutcome, WireFormatError,
} from "../../src/codec/index.js";
import { caught, hex } from "./helpers.js";

const uuid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

describe("recovery query and answer (docs/wire-format.md 5.6)", () => {
  it("writes the documented bytes and reads them back", () => {
    expect(encodeRecoveryQuery(uuid)).toEqual(hex("51 45 56 52 00 00 00 01 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10"));
    expect(decodeRecoveryQuery(encodeRecoveryQuery(uuid))).toEqual(uuid);
    expect(encodeRecoveryAnswer(RecoveryOutcome.ABORTED)).toEqual(hex("51 45 56 52 00 00 00 02"));
    for (const outcome of [RecoveryOutcome.STARTED, RecoveryOutcome.ABORTED, RecoveryOutcome.UNKNOWN]) {
      expect(decodeRecoveryAnswer(encodeRecoveryAnswer(outcome))).toBe(outcome);
    }
  });

  it("refuses a wrong magic, version, length or outcome with ERR_RECOVERY_BAD_MESSAGE, naming the channel", () => {
    const bad = [
      () => decodeRecoveryQuery(hex("51 45 56 4d 00 00 00 01 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10"), "recovery"),
      () => decodeRecoveryQuery(hex("51 45 56 52 00 00 00 02 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10"), "recovery"),
      () => decodeRecoveryQuery(hex("51 45 56 52 00 00 00 01"), "recovery"),
      () => decodeRecoveryAnswer(hex("51 45 56 52 00 00 00 04"), "recovery"),
      () => decodeRecoveryAnswer(hex("47 45 54 20 2f 20 48 54"), "recovery"), // "GET / HT": an HTTP peer
    ];
    for (const decode of bad) {
      const err = caught(decode);
      expect(err).toBeInstanceOf(WireFormatError);
      expect([err.code, err.message.startsWith("recovery: ")]).toEqual(["ERR_RECOVERY_BAD_MESSAGE", true]);
    }
  });
});
