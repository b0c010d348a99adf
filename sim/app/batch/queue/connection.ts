/**
 * What the coordinator and the workers agree on: the Redis URL, the queue's name, a job's id and
 * data, and its retry policy (sim/app/batch/queue/README.md).
 */
import { Redis } from "ioredis";
import { ConfigError } from "../../../core/errors.js";
import type { RunSpec } from "../plan.js";
import type { SummaryRow } from "../rows.js";

/** One queue for every batch: workers need not know which batches exist. */
export const QUEUE_NAME = "agora-runs";

/** A job: one run of one batch. */
export interface RunJobData {
  batchId: string;
  spec: RunSpec;
  /** The coordinator's --retry-failed: a run whose directory says failed is run again. */
  retryFailed: boolean;
}

/**
 * The run's row, and where the worker wrote the run (`host:/path`), for the coordinator's message
 * when it cannot find the run under its own batch directory.
 */
export type RunJobResult = SummaryRow & { writtenTo?: string };

/**
 * A failing run is tried this many times in all, 5 s, 10 s, 20 s ... apart (exponential backoff);
 * then its row says failed.
 */
export const JOB_ATTEMPTS = 3;
export const JOB_BACKOFF_MS = 5_000;

/**
 * Job id = batch id + condition + seed (the run's directory name holds both), so enqueueing the
 * same batch again finds the existing jobs and adds none. BullMQ refuses ids with ":" in them.
 */
export const jobId = (batchId: string, spec: Pick<RunSpec, "id">): string =>
  `${batchId}__${spec.id}`.replaceAll(":", "_");

/** Checks a --queue value: redis://HOST:PORT (optionally /DB), or rediss:// for TLS. */
export function parseQueueUrl(value: string, flag = "--queue"): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(flag, value, "a Redis URL: redis://HOST:PORT");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new ConfigError(flag, value, "a Redis URL: redis://HOST:PORT (or rediss:// for TLS)");
  if (!url.hostname)
    throw new ConfigError(flag, value, "a Redis URL with a host: redis://HOST:PORT");
  return url;
}

/** A connection as BullMQ needs it (no per-request retry limit: blocking reads may wait long). */
export function connect(url: URL): Redis {
  const redis = new Redis(url.href, { maxRetriesPerRequest: null, lazyConnect: false });
  // Errors surface through the commands that fail; unhandled 'error' events would only print noise.
  redis.on("error", () => undefined);
  return redis;
}

/**
 * Connections for BullMQ, opened only once a PING answered (BullMQ objects on a dead address retry
 * forever and their close() never returns); a clear error when nothing answers in time.
 */
export async function connectAll(url: URL, count: number, timeoutMs = 5_000): Promise<Redis[]> {
  const connections = Array.from({ length: count }, () => connect(url));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`--queue: no Redis answered at ${url.host} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(connections.map((c) => c.ping())), timeout]);
    return connections;
  } catch (error) {
    for (const c of connections) c.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes connections whose BullMQ users are closed (a blocked read would hold up QUIT: disconnect).
 */
export function disconnectAll(connections: readonly Redis[]): void {
  for (const c of connections) c.disconnect();
}
