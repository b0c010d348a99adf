/**
 * Statistics for batch reports: mean, standard deviation, a seeded percentile-bootstrap confidence
 * interval of the mean, and the difference between two conditions with its bootstrap interval and
 * a two-sided permutation-test p-value. Pure functions; all randomness comes from the Rng passed
 * in (sim/core/rng.ts), so the same data and seed give the same intervals and p-values.
 */
import type { Rng } from "../../core/rng.js";

/** Bootstrap resamples per interval (percentile method). */
export const BOOTSTRAP_RESAMPLES = 2000;
/** Random relabellings per permutation test. */
export const PERMUTATIONS = 9999;
export const CONFIDENCE = 0.95;

export interface StatOptions {
  resamples?: number;
  permutations?: number;
  /** Confidence level of the intervals; default 0.95. */
  level?: number;
}

export interface Summary {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1); null below two values. */
  sd: number | null;
  /** Percentile-bootstrap interval of the mean; null below two values. */
  ciLow: number | null;
  ciHigh: number | null;
}

export interface Comparison {
  nA: number;
  nB: number;
  /** mean(B) - mean(A). */
  diff: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** Two-sided permutation p-value, (extreme + 1) / (permutations + 1); null when a group has no value. */
  p: number | null;
  permutations: number;
}

export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

export function sd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/** The q-quantile of sorted values, linear interpolation between order statistics (R's type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no values");
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function resampledMean(xs: readonly number[], rng: Rng): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[rng.int(0, xs.length - 1)]!;
  return sum / xs.length;
}

function percentileInterval(draws: number[], level: number): [number, number] {
  draws.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return [quantile(draws, alpha), quantile(draws, 1 - alpha)];
}

/** Percentile-bootstrap interval of the mean: `resamples` means of n draws with replacement. */
export function bootstrapMeanCI(xs: readonly number[], rng: Rng, options: StatOptions = {}): [number, number] | null {
  if (xs.length < 2) return null;
  const draws: number[] = [];
  for (let b = 0; b < (options.resamples ?? BOOTSTRAP_RESAMPLES); b++) draws.push(resampledMean(xs, rng));
  return percentileInterval(draws, options.level ?? CONFIDENCE);
}

export function summarise(xs: readonly number[], rng: Rng, options: StatOptions = {}): Summary {
  const ci = bootstrapMeanCI(xs, rng, options);
  return { n: xs.length, mean: mean(xs), sd: sd(xs), ciLow: ci?.[0] ?? null, ciHigh: ci?.[1] ?? null };
}

/**
 * B minus A: the difference of means, its percentile-bootstrap interval (each group resampled on
 * its own) and a two-sided permutation test of "no difference" (the pooled values relabelled at
 * random; a relabelling counts as extreme when its |difference| is at least the observed one).
 */
export function compareMeans(a: readonly number[], b: readonly number[], rng: Rng, options: StatOptions = {}): Comparison {
  const permutations = options.permutations ?? PERMUTATIONS;
  const base = { nA: a.length, nB: b.length, permutations };
  if (a.length === 0 || b.length === 0) return { ...base, diff: null, ciLow: null, ciHigh: null, p: null };
  const diff = mean(b)! - mean(a)!;
  let ci: [number, number] | null = null;
  if (a.length >= 2 && b.length >= 2) {
    const bootRng = rng.derive("bootstrap");
    const draws: number[] = [];
    for (let i = 0; i < (options.resamples ?? BOOTSTRAP_RESAMPLES); i++) draws.push(resampledMean(b, bootRng) - resampledMean(a, bootRng));
    ci = percentileInterval(draws, options.level ?? CONFIDENCE);
  }
  return { ...base, diff, ciLow: ci?.[0] ?? null, ciHigh: ci?.[1] ?? null, p: permutationP(a, b, diff, rng.derive("permutation"), permutations) };
}

function permutationP(a: readonly number[], b: readonly number[], observed: number, rng: Rng, permutations: number): number {
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
