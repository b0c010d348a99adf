/**
 * The report's statistics against known distributions: the bootstrap interval covers the true mean
 * about 95% of the time and narrows like 1/sqrt(n); the permutation test's p is about uniform when
 * there is no difference and small for a clear one. All draws are seeded.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../sim/core/rng.js";
import {
  bootstrapMeanCI,
  compareMeans,
  mean,
  quantile,
  sd,
  summarise,
} from "../sim/app/report/stats.js";

const normals = (rng: Rng, n: number, mu: number, sigma: number): number[] =>
  Array.from({ length: n }, () => mu + sigma * rng.normal());

describe("descriptive statistics", () => {
  it("mean, sample sd and type-7 quantiles", () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(sd(xs)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(mean([])).toBeNull();
    expect(sd([3])).toBeNull();
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([10, 20], 1)).toBe(20);
  });

  it("needs two values for an interval; the same seed gives the same interval", () => {
    expect(bootstrapMeanCI([1], new Rng(1))).toBeNull();
    expect(summarise([4], new Rng(1))).toEqual({
      n: 1,
      mean: 4,
      sd: null,
      ciLow: null,
      ciHigh: null,
      tLow: null,
      tHigh: null,
      bcaLow: null,
      bcaHigh: null,
    });
    const xs = normals(new Rng(9), 20, 0, 1);
    expect(bootstrapMeanCI(xs, new Rng(5, ["a"]))).toEqual(bootstrapMeanCI(xs, new Rng(5, ["a"])));
    expect(bootstrapMeanCI(xs, new Rng(5, ["a"]))).not.toEqual(
      bootstrapMeanCI(xs, new Rng(6, ["a"])),
    );
  });
});

describe("bootstrap interval of the mean", () => {
  it("covers the true mean in about 95% of seeded repetitions", () => {
    const reps = 300;
    let covered = 0;
    for (let r = 0; r < reps; r++) {
      const xs = normals(new Rng(r, ["sample"]), 30, 3, 2);
      const [lo, hi] = bootstrapMeanCI(xs, new Rng(r, ["boot"]), { resamples: 1000 })!;
      expect(lo).toBeLessThan(hi);
      if (lo <= 3 && 3 <= hi) covered++;
    }
    // Percentile intervals at n = 30 cover a little under the nominal 95%; 300 repetitions give a
    // binomial standard error of about 1.3 points.
    expect(covered / reps).toBeGreaterThan(0.89);
    expect(covered / reps).toBeLessThan(0.99);
  });

  it("narrows like 1/sqrt(n), and matches 2 x 1.96 sigma/sqrt(n) in width", () => {
    const width = (n: number) => {
      let total = 0;
      for (let r = 0; r < 60; r++) {
        const [lo, hi] = bootstrapMeanCI(
          normals(new Rng(r, ["w", n]), n, 0, 1),
          new Rng(r, ["wb", n]),
          { resamples: 800 },
        )!;
        total += hi - lo;
      }
      return total / 60;
    };
    const w16 = width(16);
    const w64 = width(64);
    expect(w16 / w64).toBeGreaterThan(1.75);
    expect(w16 / w64).toBeLessThan(2.3);
    expect(w64).toBeGreaterThan(0.85 * ((2 * 1.96) / 8));
    expect(w64).toBeLessThan(1.1 * ((2 * 1.96) / 8));
  });
});

describe("comparison between conditions", () => {
  it("gives p about uniform under the null", () => {
    const ps: number[] = [];
    for (let r = 0; r < 200; r++) {
      const a = normals(new Rng(r, ["a"]), 10, 1, 1);
      const b = normals(new Rng(r, ["b"]), 10, 1, 1);
      ps.push(compareMeans(a, b, new Rng(r, ["test"]), { permutations: 499, resamples: 200 }).p!);
    }
    const below = (x: number) => ps.filter((p) => p <= x).length / ps.length;
    expect(below(0.05)).toBeLessThan(0.1);
    expect(below(0.5)).toBeGreaterThan(0.38);
    expect(below(0.5)).toBeLessThan(0.62);
    expect(mean(ps)!).toBeGreaterThan(0.42);
    expect(mean(ps)!).toBeLessThan(0.58);
    expect(Math.min(...ps)).toBeGreaterThanOrEqual(1 / 500);
  });

  it("finds a clear shift: small p, interval around the true difference, sign B - A", () => {
    const a = normals(new Rng(1, ["a"]), 16, 0, 1);
    const b = normals(new Rng(1, ["b"]), 16, 2, 1);
    const c = compareMeans(a, b, new Rng(3), { permutations: 999 });
    expect(c.diff).toBeCloseTo(mean(b)! - mean(a)!, 12);
    expect(c.p).toBe(1 / 1000);
    expect(c.ciLow!).toBeGreaterThan(0.8);
    expect(c.ciLow!).toBeLessThan(2);
    expect(c.ciHigh!).toBeGreaterThan(2);
    expect(compareMeans(b, a, new Rng(3), { permutations: 999 }).diff).toBeCloseTo(-c.diff!, 12);
  });

  it("counts ties with the observed difference as extreme (identical groups give p = 1)", () => {
    const c = compareMeans([1, 1, 1], [1, 1, 1], new Rng(0), { permutations: 99 });
    expect(c.diff).toBe(0);
    expect(c.p).toBe(1);
    expect(compareMeans([], [1, 2], new Rng(0)).p).toBeNull();
  });
});
