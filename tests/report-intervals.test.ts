/**
 * The report's small-sample statistics against golden values from tables and from R 4 / SciPy
 * (qt, pt, pbeta, lgamma, pnorm, qnorm, t.test; the BCa example by hand with scipy.stats.norm):
 * the t quantile behind the t and Welch intervals, the normal quantile behind BCa, Hedges' g, and
 * the documented claim that bootstrap intervals are too narrow at few seeds while t is not.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../sim/core/rng.js";
import {
  bcaInterval,
  bootstrapMeanCI,
  bootstrapMeans,
  hedgesG,
  lnGamma,
  normalCdf,
  normalQuantile,
  percentileInterval,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
  tMeanCI,
  welchDiffCI,
} from "../sim/toolkit/stats.js";
import { compareMeans, summarise } from "../sim/app/report/stats.js";

const normals = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.normal());

describe("special functions", () => {
  it("lnGamma matches ln Γ at known points", () => {
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(lnGamma(1)).toBeCloseTo(0, 13);
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(lnGamma(0.1)).toBeCloseTo(2.25271265173421, 12); // R lgamma(0.1)
    expect(lnGamma(100.5)).toBeCloseTo(361.435540467778, 9); // R lgamma(100.5)
    expect(() => lnGamma(0)).toThrow(/lnGamma: x must be > 0, got 0/);
  });

  it("regularizedBeta matches closed forms and R's pbeta", () => {
    for (const x of [0.01, 0.3, 0.5, 0.77, 0.99]) {
      expect(regularizedBeta(x, 1, 1)).toBeCloseTo(x, 13);
      expect(regularizedBeta(x, 3, 1)).toBeCloseTo(x ** 3, 13);
      expect(regularizedBeta(x, 1, 4)).toBeCloseTo(1 - (1 - x) ** 4, 13);
    }
    expect(regularizedBeta(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 13);
    expect(regularizedBeta(0.3, 2.5, 4)).toBeCloseTo(0.352197585906767, 13); // pbeta(0.3, 2.5, 4)
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
    expect(() => regularizedBeta(1.5, 2, 3)).toThrow(/x must be in \[0, 1\], got 1.5/);
    expect(() => regularizedBeta(0.5, -1, 3)).toThrow(/a=-1/);
  });

  it("normal CDF and quantile match R's pnorm and qnorm", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.841344746068543, 14);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 14);
    // Relative precision in the far tail: pnorm(-5) = 2.86651571879194e-07.
    expect(normalCdf(-5) / 2.86651571879194e-7).toBeCloseTo(1, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644853626951472, 12);
    expect(normalQuantile(0.3)).toBeCloseTo(-0.524400512708041, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.36134090240406, 11);
    expect(() => normalQuantile(1)).toThrow(/p must be in \(0, 1\), got 1/);
  });
});

describe("Student t distribution", () => {
  it("t_{0.975, df} matches the printed table", () => {
    // Any t table, two-sided 95%: df 1, 2, 5, 30.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 4);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    expect(studentTQuantile(0.975, 5)).toBeCloseTo(2.5706, 4);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0423, 4);
    expect(studentTQuantile(0.995, 10)).toBeCloseTo(3.1693, 4);
    expect(studentTQuantile(0.95, 3)).toBeCloseTo(2.3534, 4);
    // Large df tends to the normal quantile.
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
  });

  it("matches R's qt to 12 digits, also at fractional df (Welch) and far tails", () => {
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445105197793, 12);
    expect(studentTQuantile(0.975, 0.7)).toBeCloseTo(36.6114150315883, 10);
    expect(studentTQuantile(0.975, 7.3)).toBeCloseTo(2.3450667365477, 12);
    expect(studentTQuantile(0.9995, 1)).toBeCloseTo(636.61924876879, 8);
    expect(studentTQuantile(0.01, 3)).toBeCloseTo(-4.540702858568133, 12);
    expect(studentTQuantile(0.6, 4)).toBeCloseTo(0.270722294707597, 12);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });

  it("matches the closed forms at df = 1 (Cauchy) and df = 2", () => {
    for (const p of [0.01, 0.2, 0.45, 0.7, 0.9, 0.999]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 11);
    }
    for (const t of [-30, -1, 0, 0.4, 2, 50])
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
    // R: pt(1.5, c(5, 30, 7.3)).
    expect(studentTCdf(1.5, 5)).toBeCloseTo(0.903048159878763, 13);
    expect(studentTCdf(1.5, 30)).toBeCloseTo(0.927967035435677, 13);
    expect(studentTCdf(-1.5, 7.3)).toBeCloseTo(1 - 0.912218453598457, 13);
  });

  it("rejects a bad p or df, naming the value", () => {
    expect(() => studentTQuantile(0, 3)).toThrow(/p must be in \(0, 1\), got 0/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/degrees of freedom .* got 0/);
    expect(() => studentTCdf(1, Number.NaN)).toThrow(/degrees of freedom .* got NaN/);
  });
});

describe("t intervals and effect size", () => {
  it("t interval of the mean matches R's t.test", () => {
    // t.test(1:5)$conf.int; by hand: 3 ± 2.776445 × 1.581139 / √5.
    const [lo, hi] = tMeanCI([1, 2, 3, 4, 5])!;
    expect(lo).toBeCloseTo(1.03675683852244, 12);
    expect(hi).toBeCloseTo(4.96324316147756, 12);
    expect(tMeanCI([7])).toBeNull();
    expect(tMeanCI([2, 2, 2])).toEqual([2, 2]);
  });

  it("Welch interval matches R's t.test(y, x) and the table at integer df", () => {
    // Equal n and variances: df = 8, se = 1, t_{0.975,8} = 2.3060.
    const [lo, hi] = welchDiffCI([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])!;
    expect(lo).toBeCloseTo(2 - 2.306004135204166, 12);
    expect(hi).toBeCloseTo(2 + 2.306004135204166, 12);
    // Unequal: df = 3.68641641068361.
    const w = welchDiffCI([1, 2, 3], [2.5, 7, 9, 10])!;
    expect(w[0]).toBeCloseTo(0.0689681301239083, 11);
    expect(w[1]).toBeCloseTo(10.1810318698761, 11);
    expect(welchDiffCI([1], [2, 3])).toBeNull();
    expect(welchDiffCI([1, 1], [3, 3])).toEqual([2, 2]);
  });

  it("Hedges' g: pooled sd and the exact small-sample correction", () => {
    // d = 2 / 1.5811388 = 1.2649111; J(8) = Γ(4) / (2 Γ(3.5)) = 0.9027033.
    expect(hedgesG([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])).toBeCloseTo(1.141839434337773, 12);
    // Pooled sd √((2·1 + 3·11.0625) / 5) = 2.6528; d = 1.93190; J(5) = 0.840757.
    expect(hedgesG([1, 2, 3], [2.5, 7, 9, 10])).toBeCloseTo(1.6242424668254, 12);
    expect(hedgesG([3, 4, 5, 6, 7], [1, 2, 3, 4, 5])).toBeCloseTo(-1.141839434337773, 12);
    expect(hedgesG([1], [2, 3])).toBeNull();
    expect(hedgesG([1, 1], [2, 2])).toBeNull();
  });

  it("compareMeans reports the Welch interval and Hedges' g beside the bootstrap", () => {
    const c = compareMeans([1, 2, 3, 4, 5], [3, 4, 5, 6, 7], new Rng(0), { permutations: 99 });
    expect(c.tLow).toBeCloseTo(2 - 2.306004135204166, 12);
    expect(c.tHigh).toBeCloseTo(2 + 2.306004135204166, 12);
    expect(c.hedgesG).toBeCloseTo(1.141839434337773, 12);
    expect(compareMeans([], [1, 2], new Rng(0))).toMatchObject({ tLow: null, hedgesG: null });
  });
});

describe("BCa interval", () => {
  it("matches a hand computation on given draws", () => {
    // xs = 1, 2, 3, 10 (mean 4); draws 0, 0.1, ..., 9.9. Share below 4 with the tie counted
    // half: 40.5 / 100, z0 = Φ⁻¹(0.405) = −0.240426; jackknife means 5, 14/3, 13/3, 2 give
    // a = (20/3) / (6 (50/9)^1.5) = 0.0848528; levels Φ(z0 + (z0 ∓ 1.96) / (1 − a (z0 ∓ 1.96)))
    // = 0.0181024, 0.961875; type-7 quantiles of the draws (scipy.stats.norm, numpy.quantile).
    const draws = Array.from({ length: 100 }, (_, i) => i / 10).reverse();
    const [lo, hi] = bcaInterval([1, 2, 3, 10], draws)!;
    expect(lo).toBeCloseTo(0.17921338646818924, 10);
    expect(hi).toBeCloseTo(9.522558551710414, 10);
  });

  it("equals the percentile interval without bias or skew, and is a point for constant data", () => {
    // Symmetric values (a = 0) and draws symmetric around the mean (z0 = 0).
    const draws = Array.from({ length: 201 }, (_, i) => 1 + i / 100);
    expect(bcaInterval([1, 2, 3], [...draws])).toEqual(percentileInterval([...draws]));
    expect(bcaInterval([5, 5, 5], [5, 5, 5, 5])).toEqual([5, 5]);
    // Every draw above the mean: z0 is infinite and the interval undefined.
    expect(bcaInterval([1, 2, 3], [2.5, 3])).toBeNull();
    expect(bcaInterval([1], [1])).toBeNull();
  });

  it("moves towards the long tail for right-skewed values", () => {
    let higher = 0;
    for (let r = 0; r < 50; r++) {
      const rng = new Rng(r, ["skewed"]);
      const xs = Array.from({ length: 15 }, () => Math.log(1 - rng.float()) ** 2);
      const draws = bootstrapMeans(xs, new Rng(r, ["skewed-boot"]), 1000);
      const bca = bcaInterval(xs, draws)!;
      const pct = percentileInterval(draws);
      if (bca[0] > pct[0] && bca[1] > pct[1]) higher++;
    }
    expect(higher).toBeGreaterThanOrEqual(45);
  });
});

describe("few seeds", () => {
  it("at n = 4 the bootstrap intervals cover a normal mean far less than 95%, t does not", () => {
    const reps = 400;
    let percentile = 0;
    let bca = 0;
    let t = 0;
    for (let r = 0; r < reps; r++) {
      const s = summarise(normals(new Rng(r, ["few"]), 4), new Rng(r, ["few-boot"]), {
        resamples: 500,
      });
      if (s.ciLow! <= 0 && 0 <= s.ciHigh!) percentile++;
      if (s.bcaLow! <= 0 && 0 <= s.bcaHigh!) bca++;
      if (s.tLow! <= 0 && 0 <= s.tHigh!) t++;
    }
    // Binomial standard error at 400 repetitions: about 1.1 points at 95%, 2 points at 80%.
    expect(t / reps).toBeGreaterThan(0.92);
    expect(t / reps).toBeLessThan(0.98);
    expect(percentile / reps).toBeLessThan(0.86);
    expect(bca / reps).toBeLessThan(0.86);
  });

  it("summarise keeps the percentile interval's numbers and adds t and BCa from the same draws", () => {
    const xs = normals(new Rng(3, ["same"]), 12);
    const s = summarise(xs, new Rng(4, ["boot"]));
    expect([s.ciLow, s.ciHigh]).toEqual(bootstrapMeanCI(xs, new Rng(4, ["boot"])));
    expect([s.tLow, s.tHigh]).toEqual(tMeanCI(xs));
    expect([s.bcaLow, s.bcaHigh]).toEqual(
      bcaInterval(xs, bootstrapMeans(xs, new Rng(4, ["boot"]), 2000)),
    );
  });
});
