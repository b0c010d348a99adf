/**
 * A batch worker: takes run jobs from the queue, runs (or resumes) each with runOne into
 * OUT/<batch id>/runs/<run id>, and returns the run's summary row (and where it wrote the run) as
 * the job's result.
 */
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { preloadScenario } from "../../scenarios.js";
import { DelayedError, Worker, type Job } from "bullmq";
import { RedisRateLimiter } from "../../../../agents/rate-limit-redis.js";
import { runDirOf } from "../rows.js";
import { runOne } from "../run-one.js";
import { createSharedResources, profileLimits } from "../shared.js";
import {
  connectAll,
  disconnectAll,
  QUEUE_NAME,
  type RunJobData,
  type RunJobResult,
} from "./connection.js";

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

  const processJob = async (
    job: Job<RunJobData, RunJobResult>,
    token?: string,
  ): Promise<RunJobResult> => {
    const { batchId, spec } = job.data;
    const name = `${batchId}/${spec.id}`;
    const batchDir = join(out, batchId);
    // attemptsMade counts failed attempts of this job: a run this job itself failed is run again.
    const retryFailed = job.data.retryFailed || job.attemptsMade > 0;
    await preloadScenario(spec.raw, spec.configDir);
    const row = await runOne(
      spec,
      batchDir,
      { ...shared, rateLimiter: limiter.withLimits(profileLimits([spec])) },
      {
        batch: batchId,
        retryFailed,
        signal: abort.signal,
        ...(options.env ? { env: options.env } : {}),
        onBegin: (mode) =>
          log(
            `${mode} ${name} (attempt ${job.attemptsMade + 1}${job.stalledCounter > 0 ? `, after ${job.stalledCounter} stall(s)` : ""})`,
          ),
        hooks: {
          onGenerationEnd: (info) =>
            void job.updateProgress({ generation: info.generation }).catch(() => undefined),
        },
      },
    );
    if (abort.signal.aborted && row.status === "interrupted") {
      // This worker is stopping: the job goes back to the queue at once, without using an attempt.
      await job.moveToDelayed(Date.now(), token);
      log(`${name}: interrupted at generation ${row.generations}, back in the queue`);
      throw new DelayedError();
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
  worker.on("error", (error) => log(`worker error: ${error.message}`));
  worker.on("stalled", (id) => log(`stalled job ${id} (its worker died): back in the queue`));
  const ready = worker.waitUntilReady().then(() => undefined);
  await ready;

  let closing: Promise<void> | undefined;
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
