// Sweep values on the command line: a list (`0,2,4,6`), a range with a step (`100..1000/100`), or both
// (`0,100..300/100`); each value is parsed by the option's own parser.
import { usageError } from "./options.js";

/** Most values one option may expand to, so a typo cannot queue a million runs. */
const MAX_VALUES = 1000;

export function sweepValues<T>(text: string, option: string, parse: (value: string) => T, toNumber?: (value: T) => number, fromNumber?: (n: number) => T): T[] {
  const values: T[] = [];
  for (const item of text.split(",").map((s) => s.trim())) {
    if (item === "") throw usageError(`--${option}: empty value in '${text}'`);
    const range = /^(.+?)\.\.(.+?)\/(.+)$/.exec(item);
    if (!range) {
      values.push(parse(item));
    } else {
      if (!toNumber || !fromNumber) throw usageError(`--${option}: takes a list of values, not a range ('${item}')`);
      const [from, to, step] = [range[1], range[2], range[3]].map((v) => toNumber(parse(v)));
      if (!(step > 0)) throw usageError(`--${option}: the step of '${item}' must be positive`);
      if (to < from) throw usageError(`--${option}: '${item}' runs backwards`);
      if ((to - from) / step >= MAX_VALUES) throw usageError(`--${option}: '${item}' has more than ${MAX_VALUES} values`);
      // Counted steps, not repeated additions, and 12 significant digits, so 0.1-steps do not drift.
      for (let i = 0; from + i * step <= to + step * 1e-9; i++) values.push(fromNumber(Number((from + i * step).toPrecision(12))));
    }
    if (values.length > MAX_VALUES) throw usageError(`--${option}: more than ${MAX_VALUES} values`);
  }
  return values;
}
