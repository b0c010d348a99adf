/**
 * A batch worker: takes run jobs from the queue, runs (or resumes) each with runOne into
 * OUT/<batch id>/runs/<run id>, and returns the run's summary row (and where it wrote the run) as
 * the job's result.
 */
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { preloadScenario } from "../../scenarios.js";
import { DelayedError, isNotConnectionError, Worker, type Job } from "bullmq";
import { RedisRateLimiter } from "../../../../agents/rate-limit-redis.js";
import { runDirOf, type SummaryRow } from "../rows.js";
import { runOne } from "../run-one.js";
import { createSharedResources, profileLimits } from "../shared.js";
import {
  connectAll,
  disconnectAll,
  QUEUE_NAME,
  type RunJobData,
  type RunJobResult,
} from "./connection.js";
import { RunLease } from "./lease.js";

export interface WorkerOptions {
  queue: URL;
  /** Runs in progress at once in this worker. */
  concurrency: number;
  /** LLM calls in flight at once across this worker's runs. */
  llmConcurrency: number;
  /** Parent of the batch directories: run directories go to OUT/<batch id>/runs/<run id>. */
  out: string;
  /**
   * How long a job stays locked to this worker without a renewal: a worker that dies holds its
   * jobs this long (then another worker resumes them). Renewed every half of it while alive.
   */
  lockMs?: number;
  /** The window rpm/tpm count over (default one minute; see RedisRateLimiter). */
  rateWindowMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Plain progress lines (start, resume, end of each run). */
  log?: (line: string) => void;
}

export interface QueueWorker {
  /** Stops taking jobs; runs in progress stop after their current step and go back to the queue. */
  close(): Promise<void>;
  /** Resolves once the worker is connected and waiting for jobs. */
  ready: Promise<void>;
}

/**
 * A job that ended its run this many times is not retried by a stall again: its row says failed.
 */
const MAX_STALLS = 5;

export async function startWorker(options: WorkerOptions): Promise<QueueWorker> {
  const log = options.log ?? (() => undefined);
  const lockMs = options.lockMs ?? 30_000;
  const out = resolve(options.out);
  const connections = await connectAll(options.queue, 2);
  const limiter = new RedisRateLimiter({
    redis: connections[1]!,
    limits: {},
    ...(options.rateWindowMs ? { windowMs: options.rateWindowMs } : {}),
  });
  const shared = createSharedResources({
    llmConcurrency: options.llmConcurrency,
    rateLimiter: limiter,
  });
  const abort = new AbortController();

  const holder = `${hostname()} pid ${process.pid}`;
  /** A job this worker stops goes back to the queue at once, without using an attempt. */
  const backToQueue = async (job: Job<RunJobData, RunJobResult>, token?: string) => {
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  };

  const processJob = async (
    job: Job<RunJobData, RunJobResult>,
    token?: string,
  ): Promise<RunJobResult> => {
    const { batchId, spec } = job.data;
    const name = `${batchId}/${spec.id}`;
    const batchDir = join(out, batchId);
    let duplicateOf: string | undefined;
    const lease = await RunLease.acquire(
      runDirOf(batchDir, spec.id),
      { holder, job: job.id ?? name },
      {
        staleAfterMs: lockMs,
        signal: abort.signal,
        onWait: (other) => {
          duplicateOf = other.holder;
          log(
            `${name} is already running (${other.holder}): the queue handed its job out again; waiting for that execution instead of running the run twice`,
          );
        },
        onStale: (other) =>
          log(
            `${name}: took over the lease of ${other.holder}, silent for ${other.staleAfterMs} ms (that execution died)`,
          ),
        onLost: (by) =>
          log(
            `${name}: lost its lease${by ? ` to ${by.holder}` : ""} after no heartbeat for ${lockMs} ms (was this process stalled?)`,
          ),
      },
    );
    if (!lease) {
      log(`${name}: back in the queue`);
      return backToQueue(job, token);
    }
    // attemptsMade counts failed attempts of this job: a run this job itself failed is run again.
    const retryFailed = job.data.retryFailed || job.attemptsMade > 0;
    let began = false;
    let row: SummaryRow;
    try {
      await preloadScenario(spec.raw, spec.configDir);
      row = await runOne(
        spec,
        batchDir,
        { ...shared, rateLimiter: limiter.withLimits(profileLimits([spec])) },
        {
          batch: batchId,
          retryFailed,
          signal: abort.signal,
          ...(options.env ? { env: options.env } : {}),
          onBegin: (mode) => {
            began = true;
            log(
              `${mode} ${name} (attempt ${job.attemptsMade + 1}${job.stalledCounter > 0 ? `, after ${job.stalledCounter} stall(s)` : ""})`,
            );
          },
          hooks: {
            onGenerationEnd: (info) =>
              void job.updateProgress({ generation: info.generation }).catch(() => undefined),
          },
        },
      );
    } finally {
      lease.release();
    }
    if (duplicateOf && !began)
      log(`discarded a duplicate execution of ${name}: ${duplicateOf} ran it (no call made here)`);
    if (abort.signal.aborted && row.status === "interrupted") {
      log(`${name}: interrupted at generation ${row.generations}, back in the queue`);
      return backToQueue(job, token);
    }
    log(
      `${row.status} ${name}: ${row.generations} generation(s), ${row.llm_calls} LLM call(s)${row.error ? `; error: ${row.error}` : ""}`,
    );
    if (row.status === "failed" && job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
      // Thrown so BullMQ retries it after its backoff; the last attempt returns the failed row
      // instead.
      throw new Error(row.error ?? "the run failed");
    }
    return { ...row, writtenTo: `${hostname()}:${runDirOf(batchDir, spec.id)}` };
  };

  const worker = new Worker<RunJobData, RunJobResult>(QUEUE_NAME, processJob, {
    connection: connections[0]!,
    concurrency: options.concurrency,
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
    maxStalledCount: MAX_STALLS,
    autorun: true,
  });
  const lostLocks = new Set<string>();
  worker.on("error", (error) => {
    // A connection's trouble is said once, by the "lost Redis" line below; a lost lock, once per
    // job, by the lockRenewalFailed line.
    if (!isNotConnectionError(error) || (error as NodeJS.ErrnoException).syscall) return;
    if (error.message.startsWith("could not renew lock for job")) return;
    const lock = /^(Missing lock|Lock mismatch) for job /.test(error.message)
      ? " (this execution lost the job's lock: the job's other execution records the run)"
      : "";
    log(`worker error: ${error.message}${lock}`);
  });
  worker.on("stalled", (id) =>
    log(
      `stalled job ${id} (its worker died or lost Redis for longer than its lock): back in the queue`,
    ),
  );
  worker.on("lockRenewalFailed", (ids) => {
    const fresh = ids.filter((id) => !lostLocks.has(id));
    for (const id of fresh) lostLocks.add(id);
    if (fresh.length > 0)
      log(
        `lost the lock of job(s) ${fresh.join(", ")} (Redis was out for longer than --lock-ms, or lost its data): if the queue hands one out again, that execution waits for this one`,
      );
  });
  let closing: Promise<void> | undefined;
  // Said once when Redis goes and once when it is back: runs in progress go on meanwhile.
  let lost = false;
  connections[0]!.on("close", () => {
    if (lost || closing) return;
    lost = true;
    log(`worker: lost Redis at ${options.queue.host}; runs in progress go on, reconnecting`);
  });
  connections[0]!.on("ready", () => {
    if (!lost) return;
    lost = false;
    log(`worker: Redis at ${options.queue.host} is back`);
  });
  const ready = worker.waitUntilReady().then(() => undefined);
  await ready;

  return {
    ready,
    close() {
      closing ??= (async () => {
        abort.abort();
        await worker.close();
        disconnectAll(connections);
      })();
      return closing;
    },
  };
}
