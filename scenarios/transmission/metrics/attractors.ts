import type { Rng } from "../../../sim/core/rng.js";
import { mean, quantile } from "../../../sim/toolkit/stats.js";

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

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * Percentile bootstrap (95%) of position and strength: `samples` resamples of the chains with
 * replacement from `rng`. Resamples whose fit is undefined (no spread in x) or whose position is
 * undefined are skipped; null when fewer than half of the resamples are usable.
 */
export function bootstrapAttractor(
  xs: readonly number[],
  ys: readonly number[],
  samples: number,
  rng: Rng,
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
    const a = attractor(bx, by);
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
