import { basename, dirname, extname, resolve } from "node:path";
import pLimit from "p-limit";
import type { Ledger } from "../../../agents/ledger.js";
import type { RateLimiter } from "../../../agents/rate-limit.js";
import { scenarioLookup } from "../scenarios.js";
import {
  baseConfigSchema,
  parseOrThrow,
  readConfigFile,
  resolveConfig,
} from "../../core/config.js";
import { ConfigError } from "../../core/errors.js";
import type { RunHandle, RunOptions } from "../run.js";
import type { LiveBatch } from "../server/batch-live.js";
import {
  applyRow,
  batchOutcome,
  newBatchFile,
  readBatchFile,
  withRecordedIds,
  writeBatchFile,
  type BatchFile,
  type BatchStatus,
} from "./batch-file.js";
import {
  mergeGrid,
  parseSeeds,
  planBatch,
  setPath,
  validatePlan,
  type GridAxis,
  type RunSpec,
} from "./plan.js";
import { runOne } from "./run-one.js";
import { newLedgerBuffer, newLimitBuffer } from "./shared-memory.js";
import { RunThreads, THIS_THREAD } from "./threads.js";
import { readRunManifest, runDirOf, runRow, type SummaryRow } from "./rows.js";
import {
  createSharedResources,
  priorSpend,
  profileLimits,
  type SharedResources,
} from "./shared.js";
import { writeTables } from "./tables.js";

/** What `agora batch` is asked: the config and the flags that shape the plan. */
export interface BatchRequest {
  configPath: string;
  /** Seeds from --seeds (text or list); default: the config's batch.seeds, else its seed. */
  seeds?: string | number[];
  /** Axes from --grid; they add to (or replace, key by key) the config's batch.grid. */
  grid?: GridAxis[];
  cacheMode?: "off" | "read-write" | "replay";
  /** Every LLM mind uses this profile (like `agora run --model`). */
  model?: string;
}

export interface BatchPlan {
  configPath: string;
  raw: Record<string, unknown>;
  grid: GridAxis[];
  seeds: number[];
  specs: RunSpec[];
  /** The config's batch.workers (`agora batch --workers` replaces it). */
  workers?: number;
}

/**
 * Reads the config, expands grid x seeds and checks every condition's config: nothing runs if one
 * is bad.
 */
export function prepareBatch(request: BatchRequest): BatchPlan {
  const configPath = resolve(request.configPath);
  let raw = readConfigFile(configPath) as Record<string, unknown>;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) raw = {};
  const section = parseOrThrow(baseConfigSchema.shape.batch, raw.batch, "batch");
  const seeds =
    request.seeds !== undefined
      ? parseSeeds(request.seeds)
      : section?.seeds !== undefined
        ? parseSeeds(section.seeds, "batch.seeds")
        : parseSeeds(typeof raw.seed === "number" ? raw.seed : 0, "seed");
  const grid = mergeGrid(section?.grid, request.grid ?? []);
  if (request.cacheMode)
    raw = setPath(raw, "cache.mode", request.cacheMode) as Record<string, unknown>;
  if (request.model) raw = withModel(raw, request.model);
  const specs = planBatch({ raw, configDir: dirname(configPath), grid, seeds });
  validatePlan(specs);
  return {
    configPath,
    raw,
    grid,
    seeds,
    specs,
    ...(section?.workers !== undefined ? { workers: section.workers } : {}),
  };
}

/**
 * --model: every LLM mind entry (profile or inline llm) on the named profile; policy entries
 * unchanged.
 */
function withModel(raw: Record<string, unknown>, profile: string): Record<string, unknown> {
  const copy = structuredClone(raw);
  const minds = (copy.population as { minds?: unknown } | undefined)?.minds;
  if (Array.isArray(minds)) {
    for (const entry of minds as Record<string, unknown>[]) {
      if (entry && typeof entry === "object" && entry.policy === undefined) {
        delete entry.llm;
        entry.profile = profile;
      }
    }
  }
  return copy;
}

/** Default DIR: runs/<config name>-batch, so re-running the same command finds the same batch. */
export const defaultBatchDir = (configPath: string): string =>
  resolve("runs", `${basename(configPath, extname(configPath))}-batch`);

/** Progress callbacks (the CLI's display; tests). */
export interface BatchObserver {
  /**
   * `thread`: the threadId of the thread the run executes on (the main thread's without workers;
   * none for a run on a queue's `agora worker`).
   */
  onRunBegin?(spec: RunSpec, mode: "start" | "resume", thread?: number): void;
  /** Runs in this thread only (without workers): the run's live state. */
  onRunStart?(spec: RunSpec, handle: RunHandle): void;
  /** Runs on worker threads: their status line (cli/progress.ts statusLine) every 250 ms. */
  onRunStatus?(spec: RunSpec, line: string): void;
  onGeneration?(spec: RunSpec, generation: number): void;
  onRunEnd?(spec: RunSpec, row: SummaryRow): void;
  onRetry?(spec: RunSpec, info: Parameters<NonNullable<RunOptions["onRetry"]>>[0]): void;
}

export interface BatchOptions {
  out: string;
  /** Runs in progress at once. */
  concurrency: number;
  /** LLM calls in flight at once across all runs. */
  llmConcurrency: number;
  /**
   * Worker threads the runs execute on (threads.ts); default: the plan's (batch.workers), else 1:
   * every run in this thread. Never more threads than runs to do or `concurrency`.
   */
  workers?: number;
  retryFailed?: boolean;
  maxCost?: number;
  maxCalls?: number;
  signal?: AbortSignal;
  observer?: BatchObserver;
  env?: NodeJS.ProcessEnv;
  /** Default: the in-process limiter over the profiles' rpm/tpm. */
  rateLimiter?: RateLimiter;
  /**
   * Told once the shared resources exist (the progress display reads the batch budget's totals).
   */
  onShared?: (shared: SharedResources, file: BatchFile) => void;
  /**
   * `agora batch --serve`: every run that starts or resumes is served live (streamed, pausable).
   */
  live?: Pick<LiveBatch, "track">;
}

export interface BatchResult {
  dir: string;
  file: BatchFile;
  rows: SummaryRow[];
  status: Exclude<BatchStatus, "running">;
}

/** Documented in sim/app/batch/README.md. */
export const BATCH_EXIT: Record<Exclude<BatchStatus, "running">, number> = {
  completed: 0,
  failed: 1,
  "budget-exhausted": 3,
  interrupted: 130,
};

/**
 * True once the batch budget's caps are reached: the runs still to start would stop at their first
 * call.
 */
export function budgetReached(budget: Ledger | undefined): boolean {
  if (!budget) return false;
  const { maxCalls, maxCost } = budget.caps;
  return (
    (maxCalls !== undefined && budget.run.calls >= maxCalls) ||
    (maxCost !== undefined && budget.run.cost >= maxCost)
  );
}

/**
 * Refuses a batch directory holding runs of another config (edited since, or another batch):
 * skipping them as finished would mix two experiments in one table.
 */
function checkRunDirs(specs: readonly RunSpec[], dir: string): void {
  const foreign = specs.filter((spec) => {
    const manifest = readRunManifest(runDirOf(dir, spec.id));
    return (
      manifest !== null &&
      manifest.configHash !==
        resolveConfig(spec.raw, scenarioLookup(spec.configDir), {}, spec.configDir).hash
    );
  });
  if (foreign.length > 0) {
    throw new ConfigError(
      "--out",
      dir,
      `a batch directory whose runs were made with this config, but ${foreign.length} run(s) there hold another config (e.g. runs/${foreign[0]!.id}); use another --out, or move them away`,
    );
  }
}

/**
 * Runs a batch in this process: every run of the plan not yet completed (nor failed, unless
 * retryFailed) is started or resumed, `concurrency` at a time, all sharing one LLM limit, rate
 * limiter, budget and cache. batch.json and the tables are rewritten as runs progress and end.
 */
export async function runBatch(plan: BatchPlan, options: BatchOptions): Promise<BatchResult> {
  const dir = resolve(options.out);
  const previous = readBatchFile(dir);
  const specs = withRecordedIds(plan.specs, previous);
  checkRunDirs(specs, dir);
  const caps = {
    ...(options.maxCost !== undefined ? { maxCost: options.maxCost } : {}),
    ...(options.maxCalls !== undefined ? { maxCalls: options.maxCalls } : {}),
  };
  const spentBefore = priorSpend(dir, specs, options.retryFailed ?? false);
  const file = newBatchFile({
    batchId: previous?.batchId ?? basename(dir),
    config: plan.configPath,
    grid: plan.grid,
    seeds: plan.seeds,
    specs,
    caps,
    totals: spentBefore,
  });
  if (previous) file.createdAt = previous.createdAt;
  const workers = options.workers ?? plan.workers ?? 1;
  if (options.live && workers > 1) {
    throw new ConfigError(
      "--workers",
      workers,
      "1 with --serve (live runs are paced and paused from this process)",
    );
  }
  // Where each run stands according to its directory (and what a previous batch process recorded).
  const rows = new Map<string, SummaryRow>();
  for (const [i, spec] of specs.entries()) {
    const before = previous?.runs.find((r) => r.id === spec.id);
    const row = runRow(
      spec,
      file.batchId,
      dir,
      before
        ? { status: before.status === "running" ? "pending" : before.status, error: before.error }
        : undefined,
    );
    rows.set(spec.id, row);
    applyRow(file, row);
    file.runs[i]!.status = row.status === "running" ? "interrupted" : row.status;
  }
  const todo = specs.filter((spec) => {
    const status = rows.get(spec.id)!.status;
    return status !== "completed" && !(status === "failed" && !options.retryFailed);
  });
  const pool = pLimit(options.concurrency);
  const { observer } = options;
  const threadCount = Math.min(workers, todo.length, options.concurrency);
  const limits = profileLimits(specs);
  // The budget in shared memory only where threads will share it.
  const budgetBuffer = threadCount > 1 ? newLedgerBuffer() : undefined;
  const shared = createSharedResources({
    llmConcurrency: options.llmConcurrency,
    limits,
    caps,
    spentBefore,
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
    ...(budgetBuffer ? { budgetBuffer } : {}),
  });
  options.onShared?.(shared, file);
  // Started before the first tables are written: a thread takes a while to load the modules.
  const threads = budgetBuffer
    ? new RunThreads({
        threads: threadCount,
        batchDir: dir,
        batchId: file.batchId,
        retryFailed: options.retryFailed ?? false,
        ledger: budgetBuffer,
        caps,
        llmSlots: newLimitBuffer(),
        llmConcurrency: options.llmConcurrency,
        limits,
        rateLimiter: shared.rateLimiter!,
        statusEveryMs: observer?.onRunStatus ? 250 : null,
        ...(options.env ? { env: options.env } : {}),
      })
    : null;
  const save = () => {
    file.totals = { ...shared.budget!.run };
    file.budget.exhausted = budgetReached(shared.budget);
    writeBatchFile(dir, file);
  };
  // Table refreshes coalesce: while one is being written, later requests make one more pass.
  // agents, interactions and llm_calls grow with every run's events, so between the first and the
  // last refresh they are rebuilt only once 9 times their last rebuild's time has passed: they
  // never take more than a tenth of the batch's time.
  let tablesError: unknown;
  let writing: Promise<void> | null = null;
  let again = false;
  let wholeWanted = false;
  let wholeAt = 0;
  let wholeMs = 0;
  const refreshTables = (whole: boolean): Promise<void> => {
    wholeWanted ||= whole;
    if (writing) {
      again = true;
      return writing;
    }
    writing = (async () => {
      do {
        again = false;
        const started = Date.now();
        const runTables = wholeWanted || started - wholeAt >= 9 * wholeMs;
        wholeWanted = false;
        await writeTables(dir, { runTables }).catch((error: unknown) => (tablesError = error));
        if (runTables) {
          wholeAt = Date.now();
          wholeMs = wholeAt - started;
        }
      } while (again);
      writing = null;
    })();
    return writing;
  };
  const onAbort = () => threads?.abort();
  options.signal?.addEventListener("abort", onAbort);
  const onGeneration = (spec: RunSpec, entry: BatchFile["runs"][number], generation: number) => {
    entry.generationsCompleted = generation;
    save();
    observer?.onGeneration?.(spec, generation);
  };
  /** One run in this thread, sharing `shared` with the others. */
  const runHere = async (spec: RunSpec, entry: BatchFile["runs"][number]): Promise<SummaryRow> => {
    const own: Pick<RunOptions, "onStart" | "hooks"> = {
      onStart: (handle) => observer?.onRunStart?.(spec, handle),
      hooks: {
        onGenerationEnd: (info) => onGeneration(spec, entry, info.generation),
      },
    };
    const tracked = options.live?.track(
      spec.id,
      String((spec.raw as { scenario?: unknown }).scenario),
      dir,
      {
        ...own,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    const row = await runOne(spec, dir, shared, {
      batch: file.batchId,
      retryFailed: options.retryFailed ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.env ? { env: options.env } : {}),
      onBegin: (mode) => observer?.onRunBegin?.(spec, mode, THIS_THREAD),
      onRetry: (info) => observer?.onRetry?.(spec, info),
      ...(tracked ? tracked.options : own),
    });
    tracked?.finish(row.status);
    return row;
  };
  try {
    save();
    await refreshTables(true);
    await Promise.all(
      todo.map((spec) =>
        pool(async () => {
          if (options.signal?.aborted) return;
          const entry = file.runs.find((r) => r.id === spec.id)!;
          entry.status = "running";
          entry.error = null;
          save();
          const row = threads
            ? await threads.run(spec, {
                onBegin: (mode, thread) => observer?.onRunBegin?.(spec, mode, thread),
                onGeneration: (generation) => onGeneration(spec, entry, generation),
                onRetry: (info) => observer?.onRetry?.(spec, info),
                onStatus: (line) => observer?.onRunStatus?.(spec, line),
              })
            : await runHere(spec, entry);
          rows.set(spec.id, row);
          applyRow(file, row);
          save();
          observer?.onRunEnd?.(spec, row);
          void refreshTables(false);
        }),
      ),
    );
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await threads?.close();
  }

  const status = batchOutcome(file.runs, options.signal?.aborted ?? false);
  file.status = status;
  save();
  await refreshTables(true);
  if (tablesError) throw tablesError;
  return { dir, file, rows: specs.map((s) => rows.get(s.id)!), status };
}
