/**
 * `agora batch ... --queue redis://HOST:PORT`: enqueues one job per run of the plan, follows the
 * workers' progress through QueueEvents, collects each job's summary row into batch.json, and
 * writes the same tables as a local batch.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Job, Queue, QueueEvents } from "bullmq";
import { emptyTotals, type Totals } from "../../../core/spend.js";
import { ConfigError } from "../../../core/errors.js";
import { FILES } from "../../../core/recorder.js";
import {
  applyRow,
  BATCH_FILE,
  batchOutcome,
  newBatchFile,
  readBatchFile,
  withRecordedIds,
  writeBatchFile,
  type BatchFile,
} from "../batch-file.js";
import type { RunSpec } from "../plan.js";
import { readRunManifest, runDirOf, runRow, type SummaryRow } from "../rows.js";
import type { BatchObserver, BatchPlan, BatchResult } from "../runner.js";
import { writeTables } from "../tables.js";
import {
  connectAll,
  disconnectAll,
  JOB_ATTEMPTS,
  JOB_BACKOFF_MS,
  jobId,
  QUEUE_NAME,
  type RunJobData,
  type RunJobResult,
} from "./connection.js";

export interface QueuedBatchOptions {
  queue: URL;
  /**
   * The batch directory: batch.json and the tables. Workers write the runs to <their --out>/<its
   * name>/runs.
   */
  out: string;
  retryFailed?: boolean;
  /** Batch-wide caps need one budget in one process: refused with --queue. */
  maxCost?: number;
  maxCalls?: number;
  signal?: AbortSignal;
  observer?: BatchObserver;
  /** Told once batch.json exists (the progress display reads the file and the totals). */
  onFile?: (file: BatchFile, totals: () => Totals) => void;
  /**
   * Tries per run (default JOB_ATTEMPTS) and the first retry's delay (default JOB_BACKOFF_MS,
   * doubling after).
   */
  attempts?: number;
  backoffMs?: number;
  /**
   * How often job states are read back, besides the events (events may be missed across a
   * reconnect), and jobs Redis lost are re-enqueued.
   */
  pollMs?: number;
  /**
   * How long Redis may leave the coordinator unanswered (down, unreachable) before it stops
   * following and fails (default OUTAGE_MS).
   */
  outageMs?: number;
  /** Warnings while following (jobs Redis lost and re-enqueued): stderr in the CLI. */
  log?: (line: string) => void;
}

export interface QueuedBatchResult extends BatchResult {
  /**
   * Jobs this call added to the queue (the others existed already: the batch was enqueued before).
   */
  added: number;
  /**
   * Runs a worker finished whose directory this coordinator cannot read under DIR/runs (recorded
   * as failed): the worker's --out is not this batch directory's parent on shared storage.
   */
  unreadable: string[];
  /** Jobs Redis lost (restarted without its data) that this call enqueued again. */
  reenqueued: number;
}

/** How long the coordinator waits for an unreachable Redis before it fails: 10 minutes. */
export const OUTAGE_MS = 600_000;

const FINAL = new Set(["completed", "failed"]);

/**
 * Whether a queued job is this run (not a run of an earlier batch that had the same name and
 * another config).
 */
const sameConfig = (job: Job<RunJobData>, spec: RunSpec): boolean =>
  JSON.stringify(job.data.spec.raw) === JSON.stringify(spec.raw);

/** The LLM use of the collected rows (what batch.json's totals and the progress line show). */
function rowTotals(rows: Iterable<SummaryRow>): Totals {
  const totals = emptyTotals();
  for (const row of rows) {
    totals.calls += row.llm_calls;
    totals.tokensIn += row.tokens_in;
    totals.tokensOut += row.tokens_out;
    totals.cost += row.cost ?? 0;
  }
  totals.cost = Math.round(totals.cost * 1e9) / 1e9;
  return totals;
}

/**
 * Why the coordinator cannot take a run a worker finished, or null when it can: the tables are
 * built from DIR/runs/<id>, so a run the worker wrote anywhere else would count as done with no
 * data in them.
 */
export function unreadableRun(dir: string, id: string, result: RunJobResult): string | null {
  // A run that failed on its worker is failed anyway, with the worker's error.
  if (result.status === "failed") return null;
  const runDir = runDirOf(dir, id);
  const where = result.writtenTo ? ` (the worker wrote it to ${result.writtenTo})` : "";
  const share = `each worker's --out must be ${dirname(dir)} on storage this coordinator shares (sim/app/batch/queue/README.md, "Sharing storage")`;
  const missing = [FILES.manifest, FILES.metrics].find((name) => !existsSync(join(runDir, name)));
  if (missing)
    return `a worker reported this run ${result.status}, but ${join(runDir, missing)} does not exist${where}: ${share}`;
  const status = readRunManifest(runDir)?.status;
  if (status !== result.status)
    return `a worker reported this run ${result.status}, but ${join(runDir, FILES.manifest)} says ${status}${where}: ${share}`;
  return null;
}

export async function runQueuedBatch(
  plan: BatchPlan,
  options: QueuedBatchOptions,
): Promise<QueuedBatchResult> {
  if (options.maxCost !== undefined || options.maxCalls !== undefined) {
    throw new ConfigError(
      options.maxCost !== undefined ? "--max-cost" : "--max-calls",
      options.maxCost ?? options.maxCalls,
      "no batch-wide cap with --queue (each worker has its own budget; set budget.maxCost or budget.maxCalls in the config for a per-run cap)",
    );
  }
  const dir = resolve(options.out);
  const previous = readBatchFile(dir);
  const specs = withRecordedIds(plan.specs, previous);
  const batchId = previous?.batchId ?? basename(dir);
  const file = newBatchFile({
    batchId,
    config: plan.configPath,
    grid: plan.grid,
    seeds: plan.seeds,
    specs,
    caps: {},
    totals: emptyTotals(),
  });
  if (previous) file.createdAt = previous.createdAt;
  const rows = new Map<string, SummaryRow>();
  const unreadable: string[] = [];
  const byJob = new Map<string, RunSpec>(specs.map((spec) => [jobId(batchId, spec), spec]));
  const save = () => {
    file.totals = rowTotals(rows.values());
    writeBatchFile(dir, file);
  };
  options.onFile?.(file, () => file.totals);

  const connections = await connectAll(options.queue, 2);
  const queue = new Queue<RunJobData, RunJobResult>(QUEUE_NAME, { connection: connections[0]! });
  const events = new QueueEvents(QUEUE_NAME, { connection: connections[1]! });
  // Connection trouble shows in the commands that fail; the emitters' own reports would only repeat
  // it.
  queue.on("error", () => undefined);
  events.on("error", () => undefined);
  let settle: () => void = () => undefined;
  const allDone = new Promise<void>((r) => (settle = r));
  const { observer } = options;

  const finish = (spec: RunSpec, row: SummaryRow) => {
    if (rows.has(spec.id)) return;
    rows.set(spec.id, row);
    applyRow(file, row);
    save();
    observer?.onRunEnd?.(spec, row);
    if (rows.size === specs.length) settle();
  };
  /**
   * Reads a job back; a finished one gives its row (a job that failed for good: a failed row with
   * its reason). Says "missing" for a job of an unfinished run that Redis does not hold.
   */
  const check = async (id: string): Promise<"missing" | undefined> => {
    const spec = byJob.get(id);
    if (!spec || rows.has(spec.id)) return;
    const job = await Job.fromId<RunJobData, RunJobResult>(queue, id);
    if (!job) return rows.has(spec.id) ? undefined : "missing";
    if (!sameConfig(job, spec)) {
      // The id was taken by an earlier batch of the same name with another config: never mix its
      // result in.
      const error = `the queue already holds job ${id} for another config (an earlier batch with the same --out name); use another --out`;
      finish(spec, runRow(spec, batchId, dir, { status: "failed", error }));
      return;
    }
    const state = await job.getState();
    // Events and polls may read one job at once: the first to get here records it.
    if (!FINAL.has(state) || rows.has(spec.id)) return;
    if (state === "completed" && job.returnvalue) {
      const { writtenTo: _writtenTo, ...row } = job.returnvalue;
      const error = unreadableRun(dir, spec.id, job.returnvalue);
      if (error) {
        unreadable.push(spec.id);
        finish(spec, { ...runRow(spec, batchId, dir), status: "failed", error });
      } else finish(spec, row);
    } else
      finish(
        spec,
        runRow(spec, batchId, dir, {
          status: "failed",
          error: job.failedReason || "the job failed",
        }),
      );
  };

  const jobOf = (spec: RunSpec) => ({
    name: spec.id,
    data: { batchId, spec, retryFailed: options.retryFailed ?? false },
    opts: {
      jobId: jobId(batchId, spec),
      attempts: options.attempts ?? JOB_ATTEMPTS,
      backoff: { type: "exponential", delay: options.backoffMs ?? JOB_BACKOFF_MS },
    },
  });
  const client = connections[0]!;
  let reenqueued = 0;
  let reconciling = false;
  /**
   * Reads back every unfinished run's job and enqueues again, under the same ids, those Redis no
   * longer holds (it restarted without its data). A run a worker already finished is not run again
   * (the worker finds it complete); one still running is not run twice (its lease, in worker.ts).
   * Skipped while Redis is down, so commands do not pile up for its return.
   */
  const reconcile = async () => {
    if (reconciling || client.status !== "ready") return;
    reconciling = true;
    try {
      const ids = [...byJob.keys()];
      const states = await Promise.all(ids.map((id) => check(id)));
      const missing = ids.filter((_, i) => states[i] === "missing").map((id) => byJob.get(id)!);
      if (missing.length === 0) return;
      await queue.addBulk(missing.map(jobOf));
      reenqueued += missing.length;
      options.log?.(
        `Redis lost ${missing.length} job(s) of this batch (restarted without its data?): re-enqueued them (${missing.map((s) => s.id).join(", ")}); runs a worker finished are not run again`,
      );
    } finally {
      reconciling = false;
    }
  };

  // Following stops on Ctrl-C (signal), or when Redis has not answered a PING for outageMs.
  let stop: () => void = () => undefined;
  const stopped = new Promise<undefined>((r) => (stop = () => r(undefined)));
  options.signal?.addEventListener("abort", () => stop(), { once: true });
  if (options.signal?.aborted) stop();
  const outageMs = options.outageMs ?? OUTAGE_MS;
  let lastAnswer = Date.now();
  let pinging = false;
  let redisGone = false;
  const watchdog = setInterval(
    () => {
      if (Date.now() - lastAnswer > outageMs) {
        redisGone = true;
        return stop();
      }
      if (pinging) return;
      pinging = true;
      client
        .ping()
        .then(() => (lastAnswer = Date.now()))
        .catch(() => undefined)
        .finally(() => (pinging = false));
    },
    Math.min(1_000, outageMs / 4),
  );

  /** Subscribes to the queue's events and adds the jobs; returns how many were new. */
  const enqueue = async (): Promise<number> => {
    events.on("active", ({ jobId: id }) => {
      const spec = byJob.get(id);
      const entry = spec && file.runs.find((r) => r.id === spec.id);
      if (!spec || !entry || rows.has(spec.id)) return;
      entry.status = "running";
      save();
      observer?.onRunBegin?.(spec, entry.generationsCompleted > 0 ? "resume" : "start");
    });
    events.on("progress", ({ jobId: id, data }) => {
      const spec = byJob.get(id);
      const entry = spec && file.runs.find((r) => r.id === spec.id);
      const generation = (data as { generation?: unknown } | undefined)?.generation;
      if (!spec || !entry || typeof generation !== "number") return;
      entry.generationsCompleted = generation;
      save();
      observer?.onGeneration?.(spec, generation);
    });
    events.on("completed", ({ jobId: id }) => void check(id));
    events.on("failed", ({ jobId: id }) => void check(id));
    // Subscribed before the jobs are added, so no event of theirs is missed.
    await events.waitUntilReady();
    save();

    const before = await queue.getJobCounts();
    const jobs = await queue.addBulk(specs.map(jobOf));
    const after = await queue.getJobCounts();
    if (options.retryFailed) {
      // A job whose last try failed finished "completed" with a failed row (or "failed", if it
      // stalled too often).
      for (const added of jobs) {
        const job = await Job.fromId<RunJobData, RunJobResult>(queue, added.id!);
        const state = await job?.getState();
        if (
          !job ||
          !sameConfig(job, byJob.get(job.id!)!) ||
          !(state === "failed" || (state === "completed" && job.returnvalue?.status === "failed"))
        )
          continue;
        await job.updateData({ ...job.data, retryFailed: true });
        await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
    }
    for (const job of jobs) await check(job.id!);
    return (
      Object.values(after).reduce((a, b) => a + b, 0) -
      Object.values(before).reduce((a, b) => a + b, 0)
    );
  };

  try {
    const enqueuing = enqueue();
    // Left behind when following stops first; its commands then fail as the connections close.
    enqueuing.catch(() => undefined);
    const added = (await Promise.race([enqueuing, stopped])) ?? 0;
    const poll = setInterval(
      () => void reconcile().catch(() => undefined),
      options.pollMs ?? 2_000,
    );
    // A Redis back after a restart is checked at once for the jobs it lost.
    client.on("ready", () => void reconcile().catch(() => undefined));
    try {
      await Promise.race([allDone, stopped]);
    } finally {
      clearInterval(poll);
    }

    // Runs the workers finished while Redis could not say so are in their directories.
    for (const spec of specs)
      if (!rows.has(spec.id) && readRunManifest(runDirOf(dir, spec.id))?.status === "completed")
        finish(spec, runRow(spec, batchId, dir));
    const status = batchOutcome(file.runs, rows.size < specs.length);
    file.status = status;
    save();
    await writeTables(dir);
    // With every run finished on disk, an outage at the end costs nothing.
    if (redisGone && rows.size < specs.length)
      throw new Error(
        `--queue: Redis at ${options.queue.host} has not answered for ${outageMs / 1000} s: stopped following the batch (${rows.size} of ${specs.length} run(s) finished, in ${join(dir, BATCH_FILE)}); runs in progress on the workers go on. Once Redis is back, run the same command again: it re-enqueues the jobs Redis lost and follows the rest`,
      );
    return {
      dir,
      file,
      rows: specs.map((s) => rows.get(s.id) ?? runRow(s, batchId, dir)),
      status,
      added,
      unreadable,
      reenqueued,
    };
  } finally {
    clearInterval(watchdog);
    // Closing waits for Redis to answer: after an outage the connections are just dropped.
    const closed = Promise.all([events.close(), queue.close()]).catch(() => undefined);
    if (!redisGone) await closed;
    disconnectAll(connections);
  }
}
