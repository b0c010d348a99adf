/**
 * Statistics for batch reports: each condition's summary (mean, standard deviation, percentile
 * and BCa bootstrap and Student t intervals of the mean) and the difference between two conditions
 * with its bootstrap and Welch t intervals, Hedges' g and a two-sided permutation-test p-value. The
 * small statistics themselves are the scenario toolkit's (sim/toolkit/stats.ts), re-exported here
 * for the report's users. All randomness comes from the Rng passed in, so the same data and seed
 * give the same intervals and p-values.
 */
import type { Rng } from "../../core/rng.js";
import {
  BOOTSTRAP_RESAMPLES,
  CONFIDENCE,
  bcaInterval,
  bootstrapMeans,
  hedgesG,
  mean,
  percentileInterval,
  resampledMean,
  sd,
  tMeanCI,
  welchDiffCI,
  type BootstrapOptions,
} from "../../toolkit/stats.js";

export {
  BOOTSTRAP_RESAMPLES,
  CONFIDENCE,
  bootstrapMeanCI,
  mean,
  quantile,
  sd,
} from "../../toolkit/stats.js";

/** Random relabellings per permutation test. */
export const PERMUTATIONS = 9999;

export interface StatOptions extends BootstrapOptions {
  permutations?: number;
}

export interface Summary {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1); null below two values. */
  sd: number | null;
  /** Percentile-bootstrap interval of the mean; null below two values. */
  ciLow: number | null;
  ciHigh: number | null;
  /** Student t interval of the mean; null below two values. */
  tLow: number | null;
  tHigh: number | null;
  /** BCa interval from the same bootstrap draws; null below two values or when undefined. */
  bcaLow: number | null;
  bcaHigh: number | null;
}

export interface Comparison {
  nA: number;
  nB: number;
  /** mean(B) - mean(A). */
  diff: number | null;
  /** Percentile-bootstrap interval of diff; null when a group has fewer than two values. */
  ciLow: number | null;
  ciHigh: number | null;
  /** Welch t interval of diff; null when a group has fewer than two values. */
  tLow: number | null;
  tHigh: number | null;
  /** Hedges' g of B against A; null when a group has fewer than two values or no spread. */
  hedgesG: number | null;
  /**
   * Two-sided permutation p-value, (extreme + 1) / (permutations + 1); null when a group has no
   * value.
   */
  p: number | null;
  permutations: number;
}

export function summarise(xs: readonly number[], rng: Rng, options: StatOptions = {}): Summary {
  const level = options.level ?? CONFIDENCE;
  // One set of draws for both bootstrap intervals (the same draws as bootstrapMeanCI's).
  const draws =
    xs.length < 2 ? null : bootstrapMeans(xs, rng, options.resamples ?? BOOTSTRAP_RESAMPLES);
  const ci = draws && percentileInterval(draws, level);
  const bca = draws && bcaInterval(xs, draws, level);
  const t = tMeanCI(xs, level);
  return {
    n: xs.length,
    mean: mean(xs),
    sd: sd(xs),
    ciLow: ci?.[0] ?? null,
    ciHigh: ci?.[1] ?? null,
    tLow: t?.[0] ?? null,
    tHigh: t?.[1] ?? null,
    bcaLow: bca?.[0] ?? null,
    bcaHigh: bca?.[1] ?? null,
  };
}

/**
 * B minus A: the difference of means, its percentile-bootstrap interval (each group resampled on
 * its own), its Welch t interval, Hedges' g and a two-sided permutation test of "no difference"
 * (the pooled values relabelled at random; a relabelling counts as extreme when its |difference|
 * is at least the observed one).
 */
export function compareMeans(
  a: readonly number[],
  b: readonly number[],
  rng: Rng,
  options: StatOptions = {},
): Comparison {
  const permutations = options.permutations ?? PERMUTATIONS;
  const base = { nA: a.length, nB: b.length, permutations };
  if (a.length === 0 || b.length === 0)
    return {
      ...base,
      diff: null,
      ciLow: null,
      ciHigh: null,
      tLow: null,
      tHigh: null,
      hedgesG: null,
      p: null,
    };
  const diff = mean(b)! - mean(a)!;
  let ci: [number, number] | null = null;
  if (a.length >= 2 && b.length >= 2) {
    const bootRng = rng.derive("bootstrap");
    const draws: number[] = [];
    for (let i = 0; i < (options.resamples ?? BOOTSTRAP_RESAMPLES); i++)
      draws.push(resampledMean(b, bootRng) - resampledMean(a, bootRng));
    ci = percentileInterval(draws, options.level ?? CONFIDENCE);
  }
  const t = welchDiffCI(a, b, options.level ?? CONFIDENCE);
  return {
    ...base,
    diff,
    ciLow: ci?.[0] ?? null,
    ciHigh: ci?.[1] ?? null,
    tLow: t?.[0] ?? null,
    tHigh: t?.[1] ?? null,
    hedgesG: hedgesG(a, b),
    p: permutationP(a, b, diff, rng.derive("permutation"), permutations),
  };
}

function permutationP(
  a: readonly number[],
  b: readonly number[],
  observed: number,
  rng: Rng,
  permutations: number,
): number {
  const pooled = [...a, ...b];
  const total = pooled.reduce((s, x) => s + x, 0);
  const nA = a.length;
  const nB = b.length;
  // Float noise must not turn a tie with the observed difference into "less extreme".
  const threshold = Math.abs(observed) * (1 - 1e-12) - 1e-12;
  let extreme = 0;
  for (let p = 0; p < permutations; p++) {
    // Partial Fisher-Yates: the first nA places after nA swaps are a uniform random subset.
    let sumA = 0;
    for (let i = 0; i < nA; i++) {
      const j = rng.int(i, pooled.length - 1);
      const t = pooled[i]!;
      pooled[i] = pooled[j]!;
      pooled[j] = t;
      sumA += pooled[i]!;
    }
    const d = (total - sumA) / nB - sumA / nA;
    if (Math.abs(d) >= threshold) extreme++;
  }
  return (extreme + 1) / (permutations + 1);
}
