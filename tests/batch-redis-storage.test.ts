/**
 * A queued batch whose worker writes its runs where the coordinator does not read them (its --out
 * is not the coordinator's batch directory's parent; no shared storage): the coordinator must not
 * report success on nothing. It marks those runs failed with the missing path, says what to do and
 * exits 1; once the runs are copied into its batch directory, the same command completes them.
 * Against a real redis-server and a real `agora worker`.
 */
import { cpSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchFile } from "../sim/app/batch/batch-file.js";
import {
  readJson,
  runCli,
  spawnCli,
  tempDir,
  writeConfig,
  type CliProcess,
} from "./support/llm-helpers.js";
import { startRedis, type RedisServer } from "./support/redis.js";

let redis: RedisServer;
let worker: CliProcess | undefined;
const tmp = tempDir("batch-redis-storage");

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null)
    worker.child.kill("SIGKILL");
  await worker?.done.catch(() => undefined);
  await redis?.stop();
  tmp.cleanup();
});

async function metricsRows(dir: string): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${join(dir, "metrics.parquet")}')`,
    );
    return (reader.getRowObjectsJson()[0] as { n: number }).n;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("a queued batch whose worker writes elsewhere", () => {
  it("fails loudly, naming the missing run directories, then completes once they are copied in", async () => {
    const configPath = writeConfig(tmp.path, "policy.yaml", {
      scenario: "donor-game",
      generations: 2,
      population: {
        size: 4,
        minds: [
          { count: 2, policy: "constant", fraction: 0.5 },
          { count: 2, policy: "tit-for-tat" },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    // The coordinator reads shared/B/runs; the worker writes to elsewhere/B/runs.
    const batchDir = join(tmp.path, "shared", "B");
    const workerOut = join(tmp.path, "elsewhere");
    worker = spawnCli(["worker", "--queue", redis.url, "--out", workerOut, "--concurrency", "2"]);
    const args = ["batch", configPath, "--seeds", "0,1", "--out", batchDir, "--queue", redis.url];

    const first = await runCli(args);
    const output = first.stdout + first.stderr;
    expect(first.code).toBe(1);
    const file = readJson<BatchFile>(join(batchDir, "batch.json"));
    expect(file.status).toBe("failed");
    expect(file.counts).toMatchObject({ completed: 0, failed: 2 });
    for (const run of file.runs) {
      const missing = join(batchDir, "runs", run.id, "manifest.json");
      expect(run.status).toBe("failed");
      expect(run.error).toContain(`${missing} does not exist`);
      expect(run.error).toContain(join(workerOut, "B", "runs", run.id));
      expect(run.error).toContain(`each worker's --out must be ${join(tmp.path, "shared")}`);
      expect(output).toContain(`failed ${run.id}: `);
      expect(output).toContain(missing);
      // The worker did run it, in its own directory.
      expect(existsSync(join(workerOut, "B", "runs", run.id, "manifest.json"))).toBe(true);
    }
    expect(output).toMatch(
      /2 run\(s\) finished on a worker but are missing from .* \(recorded as failed\)/,
    );
    expect(output).not.toMatch(/batch completed/);

    // Storage shared after the fact: the same command finds the runs and completes the batch.
    cpSync(join(workerOut, "B", "runs"), join(batchDir, "runs"), { recursive: true });
    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/0 job\(s\) added, 2 already queued/);
    const done = readJson<BatchFile>(join(batchDir, "batch.json"));
    expect(done.status).toBe("completed");
    expect(done.runs.map((r) => [r.status, r.error])).toEqual([
      ["completed", null],
      ["completed", null],
    ]);
    expect(readdirSync(join(batchDir, "runs")).sort()).toEqual(done.runs.map((r) => r.id).sort());
    expect(await metricsRows(batchDir)).toBe(2 * 2);
  }, 90_000);
});
