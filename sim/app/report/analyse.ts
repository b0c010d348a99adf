/**
 * From a batch's tables to the report's numbers: per metric and condition the final values'
 * summary (n, mean, sd, percentile and BCa bootstrap and t intervals), each condition against the
 * reference condition (difference, bootstrap and Welch t intervals, Hedges' g, permutation p), the
 * mean with its intervals per generation, and which metrics never vary. Only completed runs count:
 * a failed, interrupted or budget-capped run stopped early and its values are not comparable.
 */
import { METRICS_HEAD } from "../batch/rows.js";
import { UsageError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { compareMeans, summarise, type StatOptions } from "./stats.js";
import type { BatchTables, Cell, Row } from "./tables.js";

export interface AnalysisOptions extends StatOptions {
  /** Metrics to report (default: every numeric metric column). */
  metrics?: string[];
  /** Seed of the bootstrap and permutation streams (default 0). */
  seed?: number;
  /** The condition the others are compared with (default: the first). */
  reference?: string;
}

export interface SummaryRow {
  metric: string;
  condition: string;
  n: number;
  mean: number | null;
  sd: number | null;
  /** Percentile bootstrap. */
  ci_low: number | null;
  ci_high: number | null;
  /** Student t. */
  t_low: number | null;
  t_high: number | null;
  /** Bias-corrected and accelerated bootstrap (same draws as ci_*). */
  bca_low: number | null;
  bca_high: number | null;
}

export interface ComparisonRow {
  metric: string;
  reference: string;
  condition: string;
  n_reference: number;
  n_condition: number;
  /** mean(condition) - mean(reference). */
  diff: number | null;
  /** Percentile bootstrap. */
  ci_low: number | null;
  ci_high: number | null;
  p: number | null;
  permutations: number;
  /** Welch t. */
  t_low: number | null;
  t_high: number | null;
  /** Hedges' g of condition against reference (pooled sd, small-sample corrected). */
  hedges_g: number | null;
}

/** A metric with one value in every counted run and generation (or none at all). */
export interface ConstantMetric {
  metric: string;
  /** The value; null when no counted run recorded one. */
  value: number | null;
}

export interface SeriesRow extends SummaryRow {
  generation: number;
}

export interface RunValues {
  run: string;
  condition: string;
  seed: number | null;
  /** [generation, value] in generation order, nulls left out. */
  points: [number, number][];
  final: number | null;
}

export interface Analysis {
  conditions: string[];
  metrics: string[];
  reference: string;
  /** Seed of the resampling streams. */
  seed: number;
  /** Completed runs (the ones counted) and the rest. */
  included: Row[];
  excluded: Row[];
  summary: SummaryRow[];
  comparisons: ComparisonRow[];
  series: SeriesRow[];
  /** Per metric: every counted run's values. */
  runValues: Record<string, RunValues[]>;
  /**
   * Metrics of `metrics` that never vary, in the same order: the report lists them in one line
   * each instead of tables and plots (their rows stay in the CSVs).
   */
  constant: ConstantMetric[];
}

/** Columns of the metrics table that are not metrics (besides the grid keys). */
const ID_COLUMNS = new Set<string>(METRICS_HEAD);

const num = (c: Cell | undefined): number | null =>
  typeof c === "number" && Number.isFinite(c) ? c : null;

/**
 * Numeric metric columns: not an id or grid column (`gridColumns`: table names of the grid keys),
 * at least one number and nothing but numbers.
 */
export function metricColumns(
  rows: readonly Row[],
  columns: readonly string[],
  gridColumns: readonly string[],
): string[] {
  const grid = new Set(gridColumns);
  return columns.filter((c) => {
    if (ID_COLUMNS.has(c) || grid.has(c)) return false;
    const values = rows.map((r) => r[c]).filter((v) => v !== null && v !== undefined);
    return values.length > 0 && values.every((v) => typeof v === "number");
  });
}

/** Conditions in the order of `preferred` (batch.json), then in order of first appearance. */
function orderedConditions(rows: Row[], preferred: readonly string[]): string[] {
  const seen = new Set(rows.map((r) => String(r.condition)));
  return [...new Set([...preferred.filter((c) => seen.has(c)), ...seen])];
}

export function analyse(
  tables: BatchTables,
  gridColumns: readonly string[],
  preferredConditions: readonly string[],
  options: AnalysisOptions = {},
): Analysis {
  const available = metricColumns(tables.metrics, tables.metricColumns, gridColumns);
  const metrics = options.metrics ?? available;
  for (const m of metrics) {
    if (!available.includes(m))
      throw new UsageError(
        `--metric: got "${m}", expected one of the metrics table's numeric columns (${available.join(", ")})`,
      );
  }
  const included = tables.runs.filter((r) => r.status === "completed");
  const excluded = tables.runs.filter((r) => r.status !== "completed");
  const conditions = orderedConditions(tables.runs, preferredConditions);
  const reference = options.reference ?? conditions[0] ?? "baseline";
  if (!conditions.includes(reference))
    throw new UsageError(
      `--reference: got "${reference}", expected one of the conditions (${conditions.join(", ")})`,
    );
  const seed = options.seed ?? 0;
  const counted = new Map(included.map((r) => [String(r.run), r]));
  const rowsByRun = new Map<string, Row[]>();
  for (const row of tables.metrics) {
    const run = String(row.run);
    if (!counted.has(run)) continue;
    let rows = rowsByRun.get(run);
    if (!rows) rowsByRun.set(run, (rows = []));
    rows.push(row);
  }
  for (const rows of rowsByRun.values())
    rows.sort((a, b) => (num(a.generation) ?? 0) - (num(b.generation) ?? 0));

  const summary: SummaryRow[] = [];
  const comparisons: ComparisonRow[] = [];
  const series: SeriesRow[] = [];
  const runValues: Record<string, RunValues[]> = {};
  const constant: ConstantMetric[] = [];
  for (const metric of metrics) {
    const values: RunValues[] = included.map((r) => {
      const points = (rowsByRun.get(String(r.run)) ?? []).flatMap((row): [number, number][] => {
        const g = num(row.generation);
        const v = num(row[metric]);
        return g === null || v === null ? [] : [[g, v]];
      });
      return {
        run: String(r.run),
        condition: String(r.condition),
        seed: num(r.seed),
        points,
        final: finalValue(r, metric, points),
      };
    });
    runValues[metric] = values;
    // Every value the counted runs recorded, per generation and final.
    const seen = new Set<number>();
    for (const v of values) {
      for (const [, x] of v.points) seen.add(x);
      if (v.final !== null) seen.add(v.final);
    }
    if (seen.size <= 1) constant.push({ metric, value: seen.size === 1 ? [...seen][0]! : null });
    const finals = (condition: string) =>
      values.filter((v) => v.condition === condition && v.final !== null).map((v) => v.final!);
    for (const condition of conditions) {
      const s = summarise(
        finals(condition),
        new Rng(seed, ["report", "final", metric, condition]),
        options,
      );
      summary.push({
        metric,
        condition,
        n: s.n,
        mean: s.mean,
        sd: s.sd,
        ci_low: s.ciLow,
        ci_high: s.ciHigh,
        t_low: s.tLow,
        t_high: s.tHigh,
        bca_low: s.bcaLow,
        bca_high: s.bcaHigh,
      });
      // Each generation's values in run order, grouped in one pass.
      const byGeneration = new Map<number, number[]>();
      for (const v of values) {
        if (v.condition !== condition) continue;
        for (const [g, x] of v.points) {
          let at = byGeneration.get(g);
          if (!at) byGeneration.set(g, (at = []));
          at.push(x);
        }
      }
      for (const generation of [...byGeneration.keys()].sort((a, b) => a - b)) {
        const g = summarise(
          byGeneration.get(generation)!,
          new Rng(seed, ["report", "series", metric, condition, generation]),
          options,
        );
        series.push({
          metric,
          condition,
          generation,
          n: g.n,
          mean: g.mean,
          sd: g.sd,
          ci_low: g.ciLow,
          ci_high: g.ciHigh,
          t_low: g.tLow,
          t_high: g.tHigh,
          bca_low: g.bcaLow,
          bca_high: g.bcaHigh,
        });
      }
      if (condition === reference) continue;
      const c = compareMeans(
        finals(reference),
        finals(condition),
        new Rng(seed, ["report", "compare", metric, reference, condition]),
        options,
      );
      comparisons.push({
        metric,
        reference,
        condition,
        n_reference: c.nA,
        n_condition: c.nB,
        diff: c.diff,
        ci_low: c.ciLow,
        ci_high: c.ciHigh,
        p: c.p,
        permutations: c.permutations,
        t_low: c.tLow,
        t_high: c.tHigh,
        hedges_g: c.hedgesG,
      });
    }
  }
  return {
    conditions,
    metrics,
    reference,
    seed,
    included,
    excluded,
    summary,
    comparisons,
    series,
    runValues,
    constant,
  };
}

/**
 * The runs table's `final_<metric>` when it has one, else the value at the run's last generation.
 */
function finalValue(run: Row, metric: string, points: [number, number][]): number | null {
  const column = `final_${metric}`;
  if (column in run) return num(run[column]);
  return points.at(-1)?.[1] ?? null;
}
