// The spread of a benchmark's rounds, as every table row prints it: min, median and max.
export interface Spread { min: number; median: number; max: number }

/** min/median/max of `xs`, rounded to 0.01. */
export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { min: r(s[0]), median: r(s[Math.floor(s.length / 2)]), max: r(s[s.length - 1]) };
}
