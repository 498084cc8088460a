// `--capture DIR`: every channel the source dials writes what it carried to DIR (NAME.out.bin / NAME.in.bin).
import { captureChannel } from "../transport/capture.js";
import type { Dialer } from "../transport/types.js";

export function capturingDialer(dialer: Dialer, dir: string | undefined): Dialer {
  if (dir === undefined) return dialer;
  return {
    async dial(name, signal) {
      return captureChannel(await dialer.dial(name, signal), { dir, name: name.replace(/[^\w.-]/g, "-") });
    },
  };
}
