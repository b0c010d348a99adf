/**
 * Small statistics for scenario metrics and reports: mean, standard deviation, Gini, quantiles and
 * a seeded percentile bootstrap of the mean. Pure functions; sums run left to right over the input,
 * so the same values in the same order give the same floating-point result. All randomness comes
 * from the Rng passed in.
 */
import type { Rng } from "../core/rng.js";

/** Bootstrap resamples per interval (percentile method). */
export const BOOTSTRAP_RESAMPLES = 2000;
export const CONFIDENCE = 0.95;

export interface BootstrapOptions {
  resamples?: number;
  /** Confidence level of the interval; default 0.95. */
  level?: number;
}

/** Arithmetic mean; null for no values (nothing to average is missing, not 0). */
export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample standard deviation (n - 1); null below two values. */
export function sd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/**
 * Gini coefficient of non-negative values: mean absolute difference over twice the mean (0 = equal,
 * towards 1 = one holds all); 0 when the mean is 0, null for no values.
 */
export function gini(xs: readonly number[]): number | null {
  const mu = mean(xs);
  if (mu === null) return null;
  if (mu === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  // Sum over pairs of |xi - xj| via the sorted form: sum_i (2i - n + 1) x_i.
  const weighted = sorted.reduce((acc, x, i) => acc + (2 * i - sorted.length + 1) * x, 0);
  return weighted / (sorted.length * sorted.length * mu);
}

/** The q-quantile of sorted values, linear interpolation between order statistics (R's type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no values");
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The mean of n draws with replacement from `xs` (one bootstrap resample). */
export function resampledMean(xs: readonly number[], rng: Rng): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[rng.int(0, xs.length - 1)]!;
  return sum / xs.length;
}

/** The central `level` interval of bootstrap draws (sorts `draws` in place). */
export function percentileInterval(draws: number[], level: number = CONFIDENCE): [number, number] {
  draws.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return [quantile(draws, alpha), quantile(draws, 1 - alpha)];
}

/**
 * Percentile-bootstrap interval of the mean: `resamples` means of n draws with replacement; null
 * below two values.
 */
export function bootstrapMeanCI(
  xs: readonly number[],
  rng: Rng,
  options: BootstrapOptions = {},
): [number, number] | null {
  if (xs.length < 2) return null;
  const draws: number[] = [];
  for (let b = 0; b < (options.resamples ?? BOOTSTRAP_RESAMPLES); b++)
    draws.push(resampledMean(xs, rng));
  return percentileInterval(draws, options.level ?? CONFIDENCE);
}
