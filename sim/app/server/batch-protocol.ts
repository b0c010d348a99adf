/**
 * The batch view's part of the server contract (README of sim/app/report, "Live batch view"):
 * `GET /api/batch[?metric=NAME]` → `BatchState` (JSON), token-protected like `/api/runs`; 204 (no
 * content) when the server serves no batch; 503 `{ error }` before its batch.json exists; 400
 * `{ error }` for a bad query (unknown parameter, empty or overlong metric, a metric the batch does
 * not have). No Node imports: the viewer shares it.
 */
import { z } from "zod";

export const BatchQuerySchema = z.strictObject({
  metric: z.string().min(1).max(200).optional(),
  /** The token may come as a query parameter (checked before the query is parsed). */
  token: z.string().optional(),
});

export type BatchQuery = z.infer<typeof BatchQuerySchema>;

/** One run of the batch as the batch page lists it. */
export interface BatchRunView {
  /** The run directory's name under DIR/runs: what `subscribe` takes. */
  id: string;
  condition: string;
  seed: number;
  /** A run status, or "pending" before the run started. */
  status: string;
  /** Live runs: the engine's current generation; others: generations completed. */
  generation: number;
  /** Generations the run is configured for. */
  generations: number;
  /** Executed by this server's process (its controls apply). */
  live: boolean;
  error: string | null;
}

/** A condition's aggregate of one metric over generations (arrays aligned by index). */
export interface BatchSeries {
  condition: string;
  generation: number[];
  /** Runs with a value at that generation. */
  n: number[];
  mean: (number | null)[];
  /** Percentile-bootstrap interval of the mean; null below two runs. */
  ciLow: (number | null)[];
  ciHigh: (number | null)[];
}

export interface BatchState {
  batchId: string;
  /** The batch's status in batch.json ("running" until `agora batch` finishes). */
  status: string;
  config: string;
  updatedAt: string;
  grid: Record<string, string[]>;
  seeds: number[];
  /** Condition labels in plan order. */
  conditions: string[];
  /** Runs per status, from the runs below. */
  counts: Record<string, number>;
  runs: BatchRunView[];
  /** Numeric metrics recorded so far. */
  metrics: string[];
  /**
   * The metric of `series` (the query's, else the first metric); null before any generation ended.
   */
  metric: string | null;
  series: BatchSeries[];
  ci: { level: number; resamples: number };
}
