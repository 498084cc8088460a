// Linear scales and "nice" tick values for the report's charts.

export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  const scale = (value: number) => r0 + ((value - d0) / span) * (r1 - r0);
  return Object.assign(scale, { domain, range });
}

/** Round tick values (1, 2, 5 x 10^k) covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Round byte ticks on binary units (1, 2, 4, 8... x 1024^k), so labels read "64 MiB", not "67.1 MB". */
export function byteTicks(max: number, count: number): number[] {
  if (!(max > 0)) return [0];
  const rough = max / Math.max(1, count);
  const unit = 1024 ** Math.max(0, Math.floor(Math.log(rough) / Math.log(1024)));
  const inUnits = rough / unit;
  const step = unit * ([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].find((m) => m >= inUnits) ?? 1024);
  const ticks: number[] = [0];
  while (ticks[ticks.length - 1] < max) ticks.push(ticks.length * step);
  return ticks;
}
