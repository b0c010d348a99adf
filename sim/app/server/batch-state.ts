/**
 * The state of a batch for the batch page: batch.json's plan, each run's status and generation
 * (the live run when this process executes it, else its directory, else batch.json), and per
 * condition the mean of a metric over generations with its bootstrap CI, from the runs'
 * metrics.jsonl. Unlike the report, every run's recorded generations count (running ones too):
 * the chart shows the batch as it progresses; `n` says how many runs each point stands on.
 */
import { readBatchFile } from "../batch/batch-file.js";
import { valueText } from "../batch/plan.js";
import { gridColumn, metricRows, runMetrics, runRow, type Cell } from "../batch/rows.js";
import { metricColumns } from "../report/analyse.js";
import { CONFIDENCE, summarise, type Summary } from "../report/stats.js";
import { Rng } from "../../core/rng.js";
import type { BatchRunView, BatchSeries, BatchState } from "./batch-protocol.js";
import type { RunRegistry } from "./run-registry.js";

/** Resamples per live interval: fewer than the report's, as the page recomputes every poll. */
export const LIVE_RESAMPLES = 1000;
const CACHE_LIMIT = 20_000;

/** batch.json is not written yet (a server started before its batch). */
export class BatchNotReady extends Error {}

export class BatchSource {
  /**
   * Intervals by metric, condition, generation and values: unchanged points are not resampled
   * again.
   */
  private readonly cache = new Map<string, Summary>();

  constructor(
    readonly dir: string,
    private readonly registry: RunRegistry,
  ) {}

  /**
   * The batch now; throws when batch.json is missing, or `metric` is not one of the batch's
   * metrics.
   */
  state(metric?: string): BatchState {
    const file = readBatchFile(this.dir);
    if (!file)
      throw new BatchNotReady(`${this.dir} has no batch.json yet: the batch has not started`);
    const runs: BatchRunView[] = [];
    const rows: Record<string, Cell>[] = [];
    const columns = new Set<string>();
    for (const entry of file.runs) {
      const live = this.registry.liveRun(entry.id);
      const lines = runMetrics(this.dir, entry.id);
      const recorded = runRow(
        entry,
        file.batchId,
        this.dir,
        { status: entry.status, error: entry.error },
        lines,
      );
      runs.push({
        id: entry.id,
        condition: entry.conditionLabel,
        seed: entry.seed,
        status: live ? live.status : recorded.status,
        generation: live ? live.generation : recorded.generations,
        generations: entry.generations,
        live: live !== undefined,
        error: recorded.error ?? entry.error,
      });
      for (const row of metricRows(entry, this.dir, lines)) {
        rows.push(row);
        for (const key of Object.keys(row)) columns.add(key);
      }
    }
    const metrics = metricColumns(rows, [...columns], Object.keys(file.grid).map(gridColumn));
    if (metric !== undefined && !metrics.includes(metric))
      throw new RangeError(
        `metric: got "${metric}", expected one of ${metrics.length ? metrics.join(", ") : "(no metric recorded yet)"}`,
      );
    const chosen = metric ?? metrics[0] ?? null;
    const conditions = [...new Set(file.runs.map((r) => r.conditionLabel))];
    const counts: Record<string, number> = {};
    for (const run of runs) counts[run.status] = (counts[run.status] ?? 0) + 1;
    return {
      batchId: file.batchId,
      status: file.status,
      config: file.config,
      updatedAt: file.updatedAt,
      grid: Object.fromEntries(Object.entries(file.grid).map(([k, vs]) => [k, vs.map(valueText)])),
      seeds: file.seeds,
      conditions,
      counts,
      runs,
      metrics,
      metric: chosen,
      series: chosen === null ? [] : conditions.map((c) => this.series(chosen, c, rows)),
      ci: { level: CONFIDENCE, resamples: LIVE_RESAMPLES },
    };
  }

  private series(metric: string, condition: string, rows: Record<string, Cell>[]): BatchSeries {
    const byGeneration = new Map<number, number[]>();
    for (const row of rows) {
      const g = row.generation;
      const v = row[metric];
      if (
        row.condition !== condition ||
        typeof g !== "number" ||
        typeof v !== "number" ||
        !Number.isFinite(v)
      )
        continue;
      let values = byGeneration.get(g);
      if (!values) byGeneration.set(g, (values = []));
      values.push(v);
    }
    const out: BatchSeries = { condition, generation: [], n: [], mean: [], ciLow: [], ciHigh: [] };
    for (const g of [...byGeneration.keys()].sort((a, b) => a - b)) {
      const values = byGeneration.get(g)!;
      const key = JSON.stringify([metric, condition, g, values]);
      let s = this.cache.get(key);
      if (!s) {
        s = summarise(values, new Rng(0, ["batch-view", metric, condition, g]), {
          resamples: LIVE_RESAMPLES,
        });
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(key, s);
      }
      out.generation.push(g);
      out.n.push(s.n);
      out.mean.push(s.mean);
      out.ciLow.push(s.ciLow);
      out.ciHigh.push(s.ciHigh);
    }
    return out;
  }
}
