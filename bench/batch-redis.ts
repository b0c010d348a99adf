/**
 * Batch benchmark over Redis: the batch of bench/batch-local.ts (S seeds of the default Donor Game,
 * 12 LLM agents each on the fake server with latency L) enqueued by the coordinator
 * (`runQueuedBatch`, this process) and run by two `agora worker` processes with S/2 runs each at
 * once, on a redis-server started for it. The figure: from enqueueing to the tables written,
 * divided by one run's wall time alone (target <= 1.5). The workers are started (and connected)
 * before the clock starts.
 *
 *   npx tsx bench/batch-redis.ts [--seeds S] [--latency MS] [--generations G] [--json]
 *   env: as bench/batch-local.ts; REDIS_SERVER (/usr/bin/redis-server)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runQueuedBatch } from "../sim/app/batch/queue/coordinator.js";
import { startRedis } from "../tests/support/redis.js";
import {
  measureBatch,
  optionsFromArgv,
  report,
  type BatchBenchOptions,
  type BatchFigures,
} from "./batch-local.js";
import { hasFlag, isMain, tempDir } from "./common.js";
import { startFakeServer } from "./fake-server-process.js";

const AGORA_BIN = fileURLToPath(new URL("../bin/agora.js", import.meta.url));
const WORKERS = 2;

/** Starts `agora worker` and resolves once it says it is connected. */
function startWorker(queue: string, out: string, concurrency: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      AGORA_BIN,
      "worker",
      "--queue",
      queue,
      "--out",
      out,
      "--concurrency",
      String(concurrency),
      "--llm-concurrency",
      String(concurrency * 64),
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    // The worker's status lines come on stderr.
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("worker: queue")) resolve(child);
    });
    child.once("exit", (code) =>
      reject(new Error(`agora worker exited (${code}) before it connected:\n${out}`)),
    );
  });
}

export async function benchBatchRedis(options: BatchBenchOptions): Promise<BatchFigures> {
  const redis = await startRedis();
  const server = await startFakeServer({ latencyMs: options.latencyMs, outOfProcess: true });
  const tmp = tempDir("agora-bench-batch-redis-");
  const workers: ChildProcess[] = [];
  try {
    return await measureBatch(server, options, tmp.dir, {
      mode: "redis",
      workers: WORKERS,
      // Workers write to <their --out>/<batch name>/runs: the parent of the coordinator's --out.
      beforeBatch: async (dir) => {
        for (let i = 0; i < WORKERS; i++)
          workers.push(await startWorker(redis.url, dir, Math.ceil(options.seeds / WORKERS)));
      },
      run: (plan, out) => runQueuedBatch(plan, { queue: new URL(redis.url), out, pollMs: 500 }),
    });
  } finally {
    for (const worker of workers) worker.kill("SIGTERM");
    await Promise.all(
      workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once("exit", r)) : undefined)),
    );
    await server.close();
    await redis.stop();
    tmp.remove();
  }
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const figures = await benchBatchRedis(optionsFromArgv(argv));
  console.log(hasFlag(argv, "json") ? JSON.stringify(figures) : report(figures));
}
