import type { Rng } from "../../../sim/core/rng.js";
import { mean, quantile, studentTCdf } from "../../../sim/toolkit/stats.js";

export interface LinearFit {
  intercept: number;
  slope: number;
}

/**
 * Least-squares line y = intercept + slope·x; null when x does not vary (or fewer than 2 points).
 */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = mean(xs)!;
  const my = mean(ys)!;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx <= 1e-12 * Math.max(1, mx * mx)) return null;
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

export interface Attractor extends LinearFit {
  /**
   * The fixed point of the map x -> intercept + slope·x: intercept / (1 - slope); null when slope =
   * 1.
   */
  position: number | null;
  /** 1 - |slope|: 1 = every chain lands on the position whatever it started from, 0 = no pull. */
  strength: number;
}

/** The attractor of final values `ys` regressed on initial values `xs`, one pair per chain. */
export function attractor(xs: readonly number[], ys: readonly number[]): Attractor | null {
  const fit = linearFit(xs, ys);
  if (!fit) return null;
  const position = Math.abs(1 - fit.slope) < 1e-12 ? null : fit.intercept / (1 - fit.slope);
  return { ...fit, position, strength: 1 - Math.abs(fit.slope) };
}

/** The telephone-game follow-up's attractor: ours plus the p-value of |slope| < 1. */
export interface TelephoneAttractor extends LinearFit {
  position: number;
  strength: number;
  /** Null with fewer than 3 pairs (no residual degrees of freedom). */
  pValue: number | null;
}

/**
 * The attractor as TelephoneGameLLM's llm_culture/analysis/run_initial_vs_last_story.py computes it
 * from scipy.stats.linregress: position and strength are 0 ("no attractor") unless -1 < slope < 1;
 * `bounded` properties (positivity, in [-1, 1]) have their position clipped to [-1, 1]; the others'
 * `np.max(position, 0)` is numpy's maximum along axis 0 of a scalar, which leaves it as it is, so
 * an unbounded position may be negative there too. The p-value is its get_pvalue: P(T > (slope −
 * 1)/se) + P(T < (slope + 1)/se) with n − 2 degrees of freedom and linregress's standard error.
 */
export function telephoneAttractor(
  xs: readonly number[],
  ys: readonly number[],
  bounded: boolean,
): TelephoneAttractor | null {
  const fit = linearFit(xs, ys);
  if (!fit) return null;
  const { slope } = fit;
  const inside = -1 < slope && slope < 1;
  const raw = fit.intercept / (1 - slope);
  const position = !inside ? 0 : bounded ? Math.min(1, Math.max(-1, raw)) : raw;
  return {
    ...fit,
    position,
    strength: inside ? 1 - Math.abs(slope) : 0,
    pValue: xs.length < 3 ? null : slopePValue(xs, ys, slope),
  };
}

/**
 * get_pvalue over linregress's stderr: sqrt((1 − r²)·ssy / ssx / (n − 2)), r = 0 when ssy = 0.
 */
function slopePValue(xs: readonly number[], ys: readonly number[], slope: number): number | null {
  const n = xs.length;
  const mx = mean(xs)!;
  const my = mean(ys)!;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const r = syy === 0 ? 0 : Math.min(1, Math.max(-1, sxy / Math.sqrt(sxx * syy)));
  const df = n - 2;
  const se = Math.sqrt(((1 - r * r) * syy) / sxx / df);
  const [above, below] = [(slope - 1) / se, (slope + 1) / se];
  // A perfect fit with slope exactly ±1 is 0 / 0 there: scipy's NaN.
  if (Number.isNaN(above) || Number.isNaN(below)) return null;
  return 1 - studentTCdf(above, df) + studentTCdf(below, df);
}

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * Percentile bootstrap (95%) of position and strength: `samples` resamples of the chains with
 * replacement from `rng`, each fitted by `fitOf` (ours by default). Resamples whose fit is
 * undefined (no spread in x) or whose position is undefined are skipped; null when fewer than half
 * of the resamples are usable.
 */
export function bootstrapAttractor(
  xs: readonly number[],
  ys: readonly number[],
  samples: number,
  rng: Rng,
  fitOf: (
    xs: readonly number[],
    ys: readonly number[],
  ) => { position: number | null; strength: number } | null = attractor,
): { position: Interval | null; strength: Interval | null } {
  const positions: number[] = [];
  const strengths: number[] = [];
  const n = xs.length;
  for (let s = 0; s < samples; s++) {
    const bx: number[] = [];
    const by: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = rng.int(0, n - 1);
      bx.push(xs[k]!);
      by.push(ys[k]!);
    }
    const a = fitOf(bx, by);
    if (!a) continue;
    strengths.push(a.strength);
    if (a.position !== null) positions.push(a.position);
  }
  const interval = (values: number[]): Interval | null => {
    if (values.length < samples / 2 || values.length === 0) return null;
    values.sort((a, b) => a - b);
    return { lo: quantile(values, 0.025), hi: quantile(values, 0.975) };
  };
  return { position: interval(positions), strength: interval(strengths) };
}
