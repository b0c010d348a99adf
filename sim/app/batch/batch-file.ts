import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Totals } from "../../core/spend.js";
import { writeJsonAtomic } from "../../core/recorder.js";
import type { GridAxis, RunSpec } from "./plan.js";
import type { BatchRunStatus, SummaryRow } from "./rows.js";

/** A run as batch.json lists it. */
export interface BatchRunEntry {
  id: string;
  condition: Record<string, string>;
  conditionLabel: string;
  seed: number;
  status: BatchRunStatus;
  error: string | null;
  /** Generations the run is configured for, and completed so far. */
  generations: number;
  generationsCompleted: number;
}

export type BatchStatus = "running" | "completed" | "failed" | "budget-exhausted" | "interrupted";

/**
 * DIR/batch.json: what the batch is and where each run stands (documented in
 * sim/app/batch/README.md).
 */
export interface BatchFile {
  version: 1;
  batchId: string;
  /** The config file, absolute. */
  config: string;
  createdAt: string;
  updatedAt: string;
  status: BatchStatus;
  /** The grid axes in order: key -> values (as parsed). */
  grid: Record<string, unknown[]>;
  seeds: number[];
  /** Batch-wide caps, and whether they stopped the batch. */
  budget: { maxCost: number | null; maxCalls: number | null; exhausted: boolean };
  /** LLM use of the batch's runs (calls already made before a restart included). */
  totals: Totals;
  /** Runs per status. */
  counts: Record<BatchRunStatus, number>;
  runs: BatchRunEntry[];
}

export const BATCH_FILE = "batch.json";

export function newBatchFile(input: {
  batchId: string;
  config: string;
  grid: readonly GridAxis[];
  seeds: readonly number[];
  specs: readonly RunSpec[];
  caps: { maxCost?: number; maxCalls?: number };
  totals: Totals;
}): BatchFile {
  const now = new Date().toISOString();
  return {
    version: 1,
    batchId: input.batchId,
    config: input.config,
    createdAt: now,
    updatedAt: now,
    status: "running",
    grid: Object.fromEntries(input.grid),
    seeds: [...input.seeds],
    budget: {
      maxCost: input.caps.maxCost ?? null,
      maxCalls: input.caps.maxCalls ?? null,
      exhausted: false,
    },
    totals: input.totals,
    counts: countRuns([]),
    runs: input.specs.map((spec) => ({
      id: spec.id,
      condition: spec.condition,
      conditionLabel: spec.conditionLabel,
      seed: spec.seed,
      status: "pending",
      error: null,
      generations: generationsOf(spec.raw),
      generationsCompleted: 0,
    })),
  };
}

const generationsOf = (raw: unknown): number => {
  const value = (raw as { generations?: unknown }).generations;
  return typeof value === "number" ? value : 10;
};

export function countRuns(
  runs: readonly Pick<BatchRunEntry, "status">[],
): Record<BatchRunStatus, number> {
  const counts: Record<BatchRunStatus, number> = {
    pending: 0,
    running: 0,
    completed: 0,
    failed: 0,
    "budget-exhausted": 0,
    interrupted: 0,
  };
  for (const run of runs) counts[run.status]++;
  return counts;
}

/**
 * A batch's status once it stops: interrupted when it was stopped or a run is unfinished, else
 * failed if a run failed, else budget-exhausted if a run was, else completed.
 */
export function batchOutcome(
  runs: readonly Pick<BatchRunEntry, "status">[],
  stopped: boolean,
): Exclude<BatchStatus, "running"> {
  const counts = countRuns(runs);
  if (stopped || counts.interrupted > 0 || counts.pending > 0 || counts.running > 0)
    return "interrupted";
  return counts.failed > 0
    ? "failed"
    : counts["budget-exhausted"] > 0
      ? "budget-exhausted"
      : "completed";
}

/**
 * The plan's runs under the names `file` (batch.json) already gives them. Run names have changed
 * before (`key=value,...` until they were misread as Hive partitions): a batch directory made then
 * keeps its run directories, so running the same command again skips, resumes and tabulates them
 * there. Runs batch.json does not list (new seeds, new grid values) take today's names.
 */
export function withRecordedIds(specs: readonly RunSpec[], file: BatchFile | null): RunSpec[] {
  const key = (run: Pick<RunSpec, "condition" | "seed">) =>
    JSON.stringify([Object.entries(run.condition), run.seed]);
  const recorded = new Map((file?.runs ?? []).map((run) => [key(run), run.id]));
  return specs.map((spec) => {
    const id = recorded.get(key(spec));
    return id === undefined || id === spec.id ? spec : { ...spec, id };
  });
}

export function readBatchFile(batchDir: string): BatchFile | null {
  const path = join(batchDir, BATCH_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as BatchFile) : null;
}

/**
 * Rewrites batch.json atomically (readers never see half a file), with fresh counts and updatedAt.
 */
export function writeBatchFile(batchDir: string, file: BatchFile): void {
  mkdirSync(batchDir, { recursive: true });
  file.updatedAt = new Date().toISOString();
  file.counts = countRuns(file.runs);
  writeJsonAtomic(join(batchDir, BATCH_FILE), file);
}

/** Takes a run's outcome (its runs-table row) into its batch.json entry. */
export function applyRow(file: BatchFile, row: SummaryRow): void {
  const entry = file.runs.find((r) => r.id === row.run);
  if (!entry) throw new Error(`run ${row.run} is not part of batch ${file.batchId}`);
  entry.status = row.status;
  entry.error = row.error;
  entry.generationsCompleted = row.generations;
}
