/**
 * Failed runs on the queue (in-process coordinator and worker on a real redis-server): a run that
 * fails is retried with exponential backoff, resuming its directory, until it completes or its
 * tries run out (then its row says failed, with the error); --retry-failed enqueues it once more.
 */
import { join } from "node:path";
import { Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runQueuedBatch } from "../sim/app/batch/queue/coordinator.js";
import { jobId, QUEUE_NAME } from "../sim/app/batch/queue/connection.js";
import { startWorker, type QueueWorker } from "../sim/app/batch/queue/worker.js";
import { prepareBatch } from "../sim/app/batch/runner.js";
import { agentId } from "../sim/core/ids.js";
import type { Manifest } from "../sim/core/recorder.js";
import { promptName } from "../scenarios/donor-game/prompts.js";
import { startFakeOpenAI, type ChatRequestRecord, type FakeOpenAI } from "./support/fake-openai.js";
import {
  deterministicScript,
  isStrategyRequest,
  llmConfig,
  readJson,
  strategyName,
  tempDir,
  writeConfig,
} from "./support/llm-helpers.js";
import { startRedis, type RedisServer } from "./support/redis.js";

const ENV = { FAKE_KEY: "sk-retry-test" };
const isFirstStrategy = (req: ChatRequestRecord) =>
  isStrategyRequest(req) && strategyName(req) === promptName(agentId(1, 1));
const BACKOFF_MS = 300;

let redis: RedisServer;
let fake: FakeOpenAI;
let worker: QueueWorker;
const tmp = tempDir("batch-redis-retry");

beforeAll(async () => {
  redis = await startRedis();
  // Agent g1-a1's strategy request is refused the first two times under "ok-model", always under
  // "bad-model".
  const tries = new Map<string, number>();
  fake = await startFakeOpenAI({
    script: deterministicScript((req) => {
      if (!isFirstStrategy(req)) return undefined;
      const n = (tries.get(req.model) ?? 0) + 1;
      tries.set(req.model, n);
      return req.model === "bad-model" || n <= 2
        ? { status: 400, body: { error: { message: `refused ${req.model} #${n}` } } }
        : undefined;
    }),
  });
  worker = await startWorker({
    queue: new URL(redis.url),
    concurrency: 2,
    llmConcurrency: 8,
    out: tmp.path,
    lockMs: 5_000,
    env: ENV,
  });
});

afterAll(async () => {
  await worker?.close();
  await fake?.close();
  await redis?.stop();
  tmp.cleanup();
});

describe("failed runs on the queue", () => {
  it("retries a failing run with backoff until it completes; one that keeps failing ends failed; --retry-failed runs it again", async () => {
    const configPath = writeConfig(
      tmp.path,
      "retry.yaml",
      llmConfig({
        baseURL: fake.baseURL,
        cacheDir: join(tmp.path, "cache"),
        size: 2,
        generations: 1,
        maxRetries: 0,
        extra: { donorGame: { rounds: 1 } },
      }),
    );
    const plan = prepareBatch({
      configPath,
      seeds: [0],
      grid: [["profiles.fake.model", ["ok-model", "bad-model"]]],
    });
    const [ok, bad] = plan.specs;
    const out = join(tmp.path, "batch");
    const result = await runQueuedBatch(plan, {
      queue: new URL(redis.url),
      out,
      backoffMs: BACKOFF_MS,
      pollMs: 200,
    });

    expect(result.status).toBe("failed");
    const rows = Object.fromEntries(result.rows.map((r) => [r.run, r]));
    expect(rows[ok!.id]).toMatchObject({ status: "completed", generations: 1 });
    expect(rows[bad!.id]).toMatchObject({ status: "failed" });
    expect(rows[bad!.id]!.error).toMatch(/400/);

    // The flaky run failed twice, then resumed its own directory on the third try.
    const manifest = readJson<Manifest>(join(out, "runs", ok!.id, "manifest.json"));
    expect(manifest.status).toBe("completed");
    expect(manifest.resumes).toHaveLength(2);

    // Tries of each run reached the server at least 300 ms, then 600 ms apart (exponential
    // backoff).
    for (const model of ["ok-model", "bad-model"]) {
      const tries = fake.requests
        .filter((r) => r.model === model && isFirstStrategy(r))
        .map((r) => r.receivedAt);
      expect(tries, model).toHaveLength(3);
      expect(tries[1]! - tries[0]!, model).toBeGreaterThanOrEqual(BACKOFF_MS);
      expect(tries[2]! - tries[1]!, model).toBeGreaterThanOrEqual(2 * BACKOFF_MS);
    }
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection });
    try {
      const badJob = await Job.fromId(queue, jobId(result.file.batchId, bad!));
      expect(badJob?.attemptsMade).toBe(3); // three tries, the last one returning the failed row

      // --retry-failed: the failed run (only) is enqueued again and tried three more times.
      const before = fake.requests.length;
      const again = await runQueuedBatch(plan, {
        queue: new URL(redis.url),
        out,
        backoffMs: BACKOFF_MS,
        pollMs: 200,
        retryFailed: true,
      });
      expect(again.added).toBe(0);
      expect(again.status).toBe("failed");
      const newRequests = fake.requests.slice(before);
      expect(newRequests.length).toBeGreaterThan(0);
      expect(newRequests.every((r) => r.model === "bad-model")).toBe(true);
      expect(readJson<Manifest>(join(out, "runs", bad!.id, "manifest.json")).resumes).toHaveLength(
        5,
      );
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }, 60_000);
});
