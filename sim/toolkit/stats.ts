/**
 * Small statistics for scenario metrics and reports: mean, standard deviation, Gini, quantiles, a
 * seeded bootstrap of the mean (percentile and BCa intervals), Student t intervals (one mean, Welch
 * difference), Hedges' g, and the normal and t distributions they need. Pure functions; sums run
 * left to right over the input, so the same values in the same order give the same floating-point
 * result. All randomness comes from the Rng passed in.
 */
import type { Rng } from "../core/rng.js";

/** Bootstrap resamples per interval (percentile and BCa). */
export const BOOTSTRAP_RESAMPLES = 2000;
export const CONFIDENCE = 0.95;

export interface BootstrapOptions {
  resamples?: number;
  /** Confidence level of the interval; default 0.95. */
  level?: number;
}

/** Arithmetic mean; null for no values (nothing to average is missing, not 0). */
export function mean(xs: ArrayLike<number>): number | null {
  if (xs.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
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
  const draws = bootstrapMeans(xs, rng, options.resamples ?? BOOTSTRAP_RESAMPLES);
  return percentileInterval(draws, options.level ?? CONFIDENCE);
}

/** The bootstrap distribution of the mean: `resamples` means of n draws with replacement. */
export function bootstrapMeans(xs: readonly number[], rng: Rng, resamples: number): number[] {
  const draws: number[] = [];
  for (let b = 0; b < resamples; b++) draws.push(resampledMean(xs, rng));
  return draws;
}

// Distributions for the t and BCa intervals. Bisection (100 halvings of a bounded interval, far
// below double precision) keeps the inverses simple and monotone without a starting guess.
const BISECTIONS = 100;
const SERIES_EPS = 1e-15;
const TINY = 1e-300;
const MAX_TERMS = 10_000;

/** ln Γ(x) for x > 0: Lanczos (g = 7, 9 terms, about 15 digits), reflection below 0.5. */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma: x must be > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < c.length; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Modified Lentz evaluation of a continued fraction's tail; `term(m)` gives [a_m, b_m]. */
function continuedFraction(
  name: string,
  b0: number,
  term: (m: number) => [number, number],
): number {
  const guard = (v: number) => (Math.abs(v) < TINY ? TINY : v);
  let f = guard(b0);
  let c = f;
  let d = 0;
  for (let m = 1; m <= MAX_TERMS; m++) {
    const [a, b] = term(m);
    d = 1 / guard(b + a * d);
    c = guard(b + a / c);
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < SERIES_EPS) return f;
  }
  throw new Error(`${name}: continued fraction did not converge in ${MAX_TERMS} terms`);
}

/**
 * The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), by its continued
 * fraction (Numerical Recipes 6.4) on the side of x where it converges fast.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0))
    throw new RangeError(`regularizedBeta: a and b must be > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedBeta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  const front = Math.exp(
    lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x),
  );
  // I_x(a,b) = front / a · 1 / (1 + d1 / (1 + d2 / (1 + ...))), d_{2k+1} and d_{2k} below.
  const cf = continuedFraction("regularizedBeta", 1, (m) => {
    const k = Math.floor(m / 2);
    const d =
      m % 2 === 1
        ? -((a + k) * (a + b + k) * x) / ((a + 2 * k) * (a + 2 * k + 1))
        : (k * (b - k) * x) / ((a + 2 * k - 1) * (a + 2 * k));
    return [d, 1];
  });
  return (front / a) * (1 / cf);
}

/**
 * Upper regularized gamma Q(a, x) = Γ(a, x) / Γ(a): one minus the series of P below x = a + 1, the
 * continued fraction above (Numerical Recipes 6.2), so both tails keep their relative precision.
 */
function upperRegularizedGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; Math.abs(term) >= Math.abs(sum) * SERIES_EPS; n++) {
      if (n > MAX_TERMS) throw new Error(`upperRegularizedGamma: series did not converge`);
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * front;
  }
  const cf = continuedFraction("upperRegularizedGamma", x + 1 - a, (m) => [
    -m * (m - a),
    x + 1 - a + 2 * m,
  ]);
  return front / cf;
}

/** Standard normal CDF Φ(z) = erfc(−z/√2) / 2, with erfc(y) = Q(1/2, y²). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new RangeError("normalCdf: z is NaN");
  const tail = upperRegularizedGamma(0.5, (z * z) / 2) / 2;
  return z < 0 ? tail : 1 - tail;
}

/** Standard normal quantile Φ⁻¹(p) for 0 < p < 1 (bisection on [−40, 40]). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < BISECTIONS; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkDf(name: string, df: number): void {
  if (!(df > 0) || !Number.isFinite(df))
    throw new RangeError(`${name}: degrees of freedom must be finite and > 0, got ${df}`);
}

/** Student t CDF with `df` degrees of freedom (df > 0, need not be whole): P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  checkDf("studentTCdf", df);
  if (Number.isNaN(t)) throw new RangeError("studentTCdf: t is NaN");
  // P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2).
  const tail = regularizedBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t < 0 ? tail : 1 - tail;
}

/**
 * Student t quantile: the t with P(T ≤ t) = p. Bisects θ in (0, π/2) with t = √df·tan θ, so that
 * 1 − the two-sided tail is I_{cos²θ}: a bounded interval even for df = 1, where t_{0.975} = 12.7.
 */
export function studentTQuantile(p: number, df: number): number {
  checkDf("studentTQuantile", df);
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  const twoSided = 2 * Math.min(p, 1 - p);
  let lo = 0;
  let hi = Math.PI / 2;
  for (let i = 0; i < BISECTIONS; i++) {
    const mid = (lo + hi) / 2;
    const c = Math.cos(mid);
    if (regularizedBeta(c * c, df / 2, 0.5) > twoSided) lo = mid;
    else hi = mid;
  }
  const t = Math.sqrt(df) * Math.tan((lo + hi) / 2);
  return p < 0.5 ? -t : t;
}

/**
 * Student t interval of the mean: mean ± t_{(1+level)/2, n−1} · sd/√n. Exact for normal values at
 * any n ≥ 2 (the bootstrap intervals are too narrow at small n); null below two values.
 */
export function tMeanCI(
  xs: readonly number[],
  level: number = CONFIDENCE,
): [number, number] | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  const half = (studentTQuantile((1 + level) / 2, xs.length - 1) * sd(xs)!) / Math.sqrt(xs.length);
  return [m - half, m + half];
}

/**
 * Welch t interval of mean(b) − mean(a): unequal variances, Welch–Satterthwaite degrees of
 * freedom. Null when a group has fewer than two values; a point when both groups are constant.
 */
export function welchDiffCI(
  a: readonly number[],
  b: readonly number[],
  level: number = CONFIDENCE,
): [number, number] | null {
  if (a.length < 2 || b.length < 2) return null;
  const diff = mean(b)! - mean(a)!;
  const va = sd(a)! ** 2 / a.length;
  const vb = sd(b)! ** 2 / b.length;
  if (va + vb === 0) return [diff, diff];
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const half = studentTQuantile((1 + level) / 2, df) * Math.sqrt(va + vb);
  return [diff - half, diff + half];
}

/**
 * Hedges' g of b against a: (mean(b) − mean(a)) / pooled sd, times the exact small-sample
 * correction J(df) = Γ(df/2) / (√(df/2) Γ((df−1)/2)), df = n_a + n_b − 2 (Cohen's d is biased
 * upwards at few seeds). Null when a group has fewer than two values or the pooled sd is 0.
 */
export function hedgesG(a: readonly number[], b: readonly number[]): number | null {
  if (a.length < 2 || b.length < 2) return null;
  const df = a.length + b.length - 2;
  const pooled = Math.sqrt(((a.length - 1) * sd(a)! ** 2 + (b.length - 1) * sd(b)! ** 2) / df);
  if (pooled === 0) return null;
  const j = Math.exp(lnGamma(df / 2) - lnGamma((df - 1) / 2)) / Math.sqrt(df / 2);
  return (j * (mean(b)! - mean(a)!)) / pooled;
}

/**
 * BCa (bias-corrected and accelerated) bootstrap interval of the mean from its bootstrap means
 * `draws` (sorted in place): the percentile levels move by the bias z0 = Φ⁻¹(share of draws below
 * the mean, ties half) and the jackknife acceleration a = Σd³ / (6 (Σd²)^{3/2}), d = the jackknife
 * means' deviations; level α becomes Φ(z0 + (z0 + z_α) / (1 − a (z0 + z_α))). Corrects for skew,
 * but like the percentile interval it is too narrow at few values. Null below two values or when
 * the correction is undefined (every draw on one side of the mean, or 1 − a (z0 + z_α) ≤ 0).
 */
export function bcaInterval(
  xs: readonly number[],
  draws: number[],
  level: number = CONFIDENCE,
): [number, number] | null {
  if (xs.length < 2 || draws.length === 0) return null;
  const estimate = mean(xs)!;
  let below = 0;
  let ties = 0;
  for (const d of draws) {
    if (d < estimate) below++;
    else if (d === estimate) ties++;
  }
  const share = (below + ties / 2) / draws.length;
  if (share <= 0 || share >= 1) return null;
  const z0 = normalQuantile(share);
  let total = 0;
  for (const x of xs) total += x;
  const jack = xs.map((x) => (total - x) / (xs.length - 1));
  const jackMean = mean(jack)!;
  let cubes = 0;
  let squares = 0;
  for (const j of jack) {
    cubes += (jackMean - j) ** 3;
    squares += (jackMean - j) ** 2;
  }
  const acceleration = squares === 0 ? 0 : cubes / (6 * squares ** 1.5);
  const adjusted = (z: number): number | null => {
    const denominator = 1 - acceleration * (z0 + z);
    return denominator <= 0 ? null : normalCdf(z0 + (z0 + z) / denominator);
  };
  const zAlpha = normalQuantile((1 - level) / 2);
  const lo = adjusted(zAlpha);
  const hi = adjusted(-zAlpha);
  if (lo === null || hi === null) return null;
  draws.sort((x, y) => x - y);
  return [quantile(draws, lo), quantile(draws, hi)];
}

/**
 * Python's round(x, digits): the exact binary value rounded to `digits` decimals, an exact tie to
 * the even digit (round(0.125, 2) is 0.12), where toFixed sends a tie up. For reproducing numbers
 * and texts that Python code printed.
 */
export function roundHalfEven(x: number, digits: number): number {
  const abs = Math.abs(x);
  let out = Number(abs.toFixed(digits));
  // toFixed is exact but sends a tie up: a tie is an exact expansion ending in 5 at digits + 1.
  const exact = abs.toFixed(100);
  const cut = exact.indexOf(".") + 1 + digits;
  if (/^50*$/.test(exact.slice(cut))) {
    const last = Number(exact[cut - 1] === "." ? exact[cut - 2] : exact[cut - 1]);
    if (last % 2 === 0) out = Number(exact.slice(0, cut));
  }
  return x < 0 ? -out : out;
}
