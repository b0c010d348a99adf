import { existsSync } from "node:fs";
import { join } from "node:path";
import { pricedCost } from "../../core/spend.js";
import type { RunStatus } from "../../core/events.js";
import { FILES, readJsonLines, readManifest, type Manifest } from "../../core/recorder.js";
import type { RunSpec } from "./plan.js";
import type { SqlType } from "./sql.js";

/** A run's state in batch.json and the runs table: a run status, or `pending` before it started. */
export type BatchRunStatus = RunStatus | "pending";

export type Cell = string | number | boolean | null;

/**
 * One row of the runs table (sim/app/batch/README.md): the fixed columns below, then one column per
 * grid key (between `generations` and the final metrics) and `final_<metric>` per metric.
 */
export interface SummaryRow {
  run: string;
  batch: string;
  condition: string;
  seed: number;
  status: BatchRunStatus;
  error: string | null;
  /** Generations completed. */
  generations: number;
  llm_calls: number;
  tokens_in: number;
  tokens_out: number;
  /** Priced cost of the run's calls (cached or not), null when none was priced. */
  cost: number | null;
  /**
   * From the manifest's startedAt to endedAt (includes any time between a crash and its resume);
   * null until the run ends.
   */
  wall_s: number | null;
  [column: string]: Cell;
}

/**
 * Columns of the runs table that are not grid keys or final metrics, in table order around them.
 */
export const RUN_HEAD = [
  "run",
  "batch",
  "condition",
  "seed",
  "status",
  "error",
  "generations",
] as const;
export const RUN_TAIL = ["llm_calls", "tokens_in", "tokens_out", "cost", "wall_s"] as const;
/** Fixed columns of the metrics table before the grid keys and the metrics. */
export const METRICS_HEAD = ["run", "condition", "seed", "generation"] as const;

/**
 * The fixed columns of the interactions and llm_calls tables after run, condition, seed,
 * generation, the time coordinates and the grid keys, with their types (sim/app/batch/README.md).
 */
export const INTERACTION_COLUMNS = {
  seq: "BIGINT",
  kind: "VARCHAR",
  from: "VARCHAR",
  to: "VARCHAR",
  mind_kind: "VARCHAR",
  mind_name: "VARCHAR",
} as const satisfies Record<string, SqlType>;
export const LLM_CALL_COLUMNS = {
  seq: "BIGINT",
  agent: "VARCHAR",
  purpose: "VARCHAR",
  profile: "VARCHAR",
  model: "VARCHAR",
  tokens_in: "BIGINT",
  tokens_out: "BIGINT",
  cost: "DOUBLE",
  latency_ms: "BIGINT",
  finish_reason: "VARCHAR",
  cached: "BOOLEAN",
  attempts: "BIGINT",
  reask: "BIGINT",
  call_seed: "BIGINT",
  failure: "VARCHAR",
  trimmed: "BIGINT",
  prompt_hash: "VARCHAR",
} as const satisfies Record<string, SqlType>;

const FIXED = new Set<string>([
  ...RUN_HEAD,
  ...RUN_TAIL,
  ...METRICS_HEAD,
  ...Object.keys(INTERACTION_COLUMNS),
  ...Object.keys(LLM_CALL_COLUMNS),
]);

/**
 * The table column of a grid key, the same in every table: the key path itself, or `grid.<key>` if
 * that is a fixed column's name in any table (e.g. `generations`).
 */
export const gridColumn = (key: string): string => (FIXED.has(key) ? `grid.${key}` : key);

/** What a row needs to know of a run: a RunSpec or a batch.json entry. */
export type RunIdentity = Pick<RunSpec, "id" | "condition" | "conditionLabel" | "seed">;

export const runDirOf = (batchDir: string, id: string): string => join(batchDir, "runs", id);

export function readRunManifest(dir: string): Manifest | null {
  return existsSync(join(dir, FILES.manifest)) ? readManifest(dir) : null;
}

/**
 * What the batch itself knows about a run that its directory may not say (an error outside the
 * engine, or never started).
 */
export interface RecordedState {
  status: BatchRunStatus;
  error?: string | null;
}

/**
 * A run's metrics.jsonl rows; read once when both its summary row and its metric rows are needed.
 */
export function runMetrics(batchDir: string, id: string): Record<string, Cell>[] {
  return readJsonLines<Record<string, Cell>>(join(runDirOf(batchDir, id), FILES.metrics));
}

/**
 * A run's row, built from its directory (manifest.json and metrics.jsonl), so the tables can be
 * rebuilt at any time. `recorded` (batch.json) decides when the directory is missing or the batch
 * recorded a failure the run itself could not write down.
 */
export function runRow(
  spec: RunIdentity,
  batch: string,
  batchDir: string,
  recorded?: RecordedState,
  metrics = runMetrics(batchDir, spec.id),
): SummaryRow {
  const manifest = readRunManifest(runDirOf(batchDir, spec.id));
  const overrides =
    recorded &&
    (!manifest ||
      (recorded.status === "failed" &&
        manifest.status !== "completed" &&
        manifest.status !== "failed"));
  const status: BatchRunStatus = overrides ? recorded.status : (manifest?.status ?? "pending");
  const error = overrides ? (recorded.error ?? null) : (manifest?.error ?? null);
  const row: SummaryRow = {
    run: spec.id,
    batch,
    condition: spec.conditionLabel,
    seed: spec.seed,
    status,
    error,
    generations: manifest?.generationsCompleted ?? 0,
    llm_calls: 0,
    tokens_in: 0,
    tokens_out: 0,
    cost: null,
    wall_s: null,
  };
  const ordered: Record<string, Cell> = {};
  for (const key of RUN_HEAD) ordered[key] = row[key];
  for (const [key, value] of Object.entries(spec.condition)) ordered[gridColumn(key)] = value;
  const last = metrics.at(-1);
  for (const [key, value] of Object.entries(last ?? {}))
    if (key !== "generation") ordered[`final_${key}`] = value ?? null;
  const totals = manifest?.totals;
  Object.assign(ordered, {
    llm_calls: totals?.calls ?? 0,
    tokens_in: totals?.tokensIn ?? 0,
    tokens_out: totals?.tokensOut ?? 0,
    cost: totals ? pricedCost(totals) : null,
    wall_s:
      manifest?.endedAt && manifest.status !== "running"
        ? (Date.parse(manifest.endedAt) - Date.parse(manifest.startedAt)) / 1000
        : null,
  });
  return ordered as SummaryRow;
}

/**
 * A run's rows of the metrics table: one per completed generation, grid keys beside the fixed
 * columns.
 */
export function metricRows(
  spec: RunIdentity,
  batchDir: string,
  metrics = runMetrics(batchDir, spec.id),
): Record<string, Cell>[] {
  return metrics.map(({ generation, ...values }) => {
    const row: Record<string, Cell> = {
      run: spec.id,
      condition: spec.conditionLabel,
      seed: spec.seed,
      generation: generation ?? null,
    };
    for (const [key, value] of Object.entries(spec.condition)) row[gridColumn(key)] = value;
    for (const [key, value] of Object.entries(values)) row[metricColumn(key, row)] = value ?? null;
    return row;
  });
}

/**
 * A metric's column in the metrics table: its name, or `metric.<name>` when a fixed or grid column
 * (a key of `taken`) has that name.
 */
export const metricColumn = (key: string, taken: object): string =>
  key in taken ? `metric.${key}` : key;
