import { describe, expect, it } from "vitest";
import { Rng } from "../sim/core/rng.js";
import {
  bootstrapMeanCI,
  gini,
  mean,
  percentileInterval,
  quantile,
  sd,
} from "../sim/toolkit/stats.js";

/**
 * Gini from its definition: mean absolute difference over all ordered pairs, over twice the mean.
 */
function giniByPairs(xs: readonly number[]): number {
  const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (mu === 0) return 0;
  let sum = 0;
  for (const x of xs) for (const y of xs) sum += Math.abs(x - y);
  return sum / (2 * xs.length * xs.length * mu);
}

describe("mean and sd", () => {
  it("null for too few values", () => {
    expect(mean([])).toBeNull();
    expect(sd([])).toBeNull();
    expect(sd([3])).toBeNull();
  });

  it("sums left to right, so callers' floating-point results do not change", () => {
    const xs = [0.1, 0.2, 0.3, 1e16, -1e16];
    expect(mean(xs)).toBe(xs.reduce((s, x) => s + x, 0) / xs.length);
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });
});

describe("gini", () => {
  it.each([
    [[1, 1, 1, 1], 0],
    [[0, 0, 0, 1], 0.75],
    [[4, 3, 2, 1], 0.25],
    [[0, 0], 0],
    [[5], 0],
    [[0, 10], 0.5],
  ])("gini(%j) = %d", (xs, want) => {
    expect(gini(xs)).toBeCloseTo(want, 12);
  });

  it("is null for no values and agrees with the pairwise definition", () => {
    expect(gini([])).toBeNull();
    const xs = [3.5, 0, 17, 2.25, 9, 9, 41];
    expect(gini(xs)).toBeCloseTo(giniByPairs(xs), 12);
    expect(xs).toEqual([3.5, 0, 17, 2.25, 9, 9, 41]);
  });
});

describe("quantiles and intervals", () => {
  it("type-7 quantiles of sorted values", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([10, 20], 0)).toBe(10);
    expect(quantile([10, 20], 1)).toBe(20);
    expect(() => quantile([], 0.5)).toThrow(/no values/);
  });

  it("percentile interval: the central share of the draws", () => {
    const draws = Array.from({ length: 101 }, (_, i) => 100 - i);
    const [lo, hi] = percentileInterval(draws, 0.9);
    expect(lo).toBeCloseTo(5, 9);
    expect(hi).toBeCloseTo(95, 9);
    expect(draws[0]).toBe(0);
  });

  it("bootstrap interval of the mean: seeded, around the mean, null below two values", () => {
    expect(bootstrapMeanCI([1], new Rng(1))).toBeNull();
    const xs = [1, 2, 3, 4, 5, 6, 7, 8];
    const ci = bootstrapMeanCI(xs, new Rng(3), { resamples: 500 })!;
    expect(ci).toEqual(bootstrapMeanCI(xs, new Rng(3), { resamples: 500 }));
    expect(ci[0]).toBeLessThan(4.5);
    expect(ci[1]).toBeGreaterThan(4.5);
  });
});
