import { mean as meanOrNull } from "../../sim/app/report/stats.js";

/** Mean that reads 0 for an empty set (resources; decision metrics use the null-for-none mean). */
export const mean = (xs: readonly number[]): number => meanOrNull(xs) ?? 0;

/** Gini coefficient: mean absolute difference over twice the mean (0 = equal, 1 = one holds all). */
export function gini(xs: readonly number[]): number {
  const mu = mean(xs);
  if (xs.length === 0 || mu === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  // Sum over pairs of |xi - xj| via the sorted form: sum_i (2i - n + 1) x_i.
  const weighted = sorted.reduce((acc, x, i) => acc + (2 * i - sorted.length + 1) * x, 0);
  return weighted / (sorted.length * sorted.length * mu);
}
