/**
 * A statistic the toolkit (sim/toolkit/stats.ts, exported from the public API) does not have yet.
 */
import { mean } from "../../sim/index.js";

/** Pearson correlation of paired values; null below two pairs or when either side is constant. */
export function correlation(xs: readonly number[], ys: readonly number[]): number | null {
  const mx = mean(xs);
  const my = mean(ys);
  if (mx === null || my === null || xs.length < 2 || xs.length !== ys.length) return null;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    const dx = x - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  });
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}
