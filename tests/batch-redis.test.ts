/**
 * Batches across machines, end to end through the CLI against a real redis-server: two
 * `agora worker`s and two `agora batch --queue` coordinators (a policy batch and an LLM batch whose
 * calls go to the fake OpenAI server under a binding rpm). One worker is SIGKILLed mid-run: its job
 * is taken over by the other worker and the run resumes from its checkpoint, ending as an
 * uninterrupted run does. Re-enqueueing a finished batch adds no job.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { prepareBatch } from "../sim/app/batch/runner.js";
import { QUEUE_NAME } from "../sim/app/batch/queue/connection.js";
import { runQueuedBatch } from "../sim/app/batch/queue/coordinator.js";
import type { AgoraEvent } from "../sim/core/events.js";
import type { Checkpoint, Manifest } from "../sim/core/recorder.js";
import { startRun } from "../sim/app/run.js";
import { startFakeOpenAI, type FakeOpenAI } from "./support/fake-openai.js";
import {
  deterministicScript,
  llmConfig,
  readEvents,
  readJson,
  ROOT,
  spawnCli,
  stableEvents,
  tempDir,
  waitForEvents,
  writeConfig,
  type CliProcess,
} from "./support/llm-helpers.js";
import { startRedis, type RedisServer } from "./support/redis.js";

const ENV = { FAKE_KEY: "sk-redis-test" };
/**
 * The LLM profile may send RPM requests per WINDOW_MS (the workers' --rate-window-ms) across both
 * workers.
 */
const RPM = 8;
const WINDOW_MS = 2_000;
/**
 * How much later than its rate-limit slot a request may be seen by the server: client and HTTP
 * work,
 * and this test process's own event loop, on a loaded machine (up to several hundred ms seen).
 */
const DISPATCH_SLACK_MS = 800;
/**
 * Short, so the dead worker's job is taken over within seconds; long enough for a busy live worker
 * to renew.
 */
const LOCK_MS = 3_000;
const LLM_SEEDS = [0, 1];
const POLICY_SEEDS = [0, 1, 2, 3];

let redis: RedisServer;
let fake: FakeOpenAI;
const tmp = tempDir("batch-redis");
const workers: { proc: CliProcess; name: string }[] = [];

function startWorker(name: string) {
  const proc = spawnCli(
    [
      "worker",
      "--queue",
      redis.url,
      "--concurrency",
      "1",
      "--out",
      tmp.path,
      "--lock-ms",
      String(LOCK_MS),
      "--rate-window-ms",
      String(WINDOW_MS),
    ],
    ENV,
  );
  workers.push({ proc, name });
  // Its start/resume/end lines so far.
  return { proc, output: proc.stderr };
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 40_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function runsTable(
  dir: string,
): Promise<{ run: string; status: string; generations: number }[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT run, status, generations FROM read_parquet('${join(dir, "runs.parquet")}') ORDER BY run`,
    );
    return (reader.getRowObjectsJS() as { run: string; status: string; generations: bigint }[]).map(
      (r) => ({ ...r, generations: Number(r.generations) }),
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The most arrivals inside any window [t, t + width) that starts at an arrival. */
function busiestWindow(times: number[], width: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + width) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

beforeAll(async () => {
  redis = await startRedis();
  fake = await startFakeOpenAI({ script: deterministicScript(), latencyMs: 40 });
});

afterAll(async () => {
  for (const { proc } of workers)
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  await Promise.all(workers.map((w) => w.proc.done.catch(() => undefined)));
  await fake?.close();
  await redis?.stop();
  tmp.cleanup();
});

describe("agora batch --queue with two agora workers", () => {
  it("runs both batches, survives a worker killed mid-run, holds the rpm across workers, and re-enqueues nothing", async () => {
    const cacheDir = join(tmp.path, "cache");
    // The offline demo's policy population, for 2 generations.
    const demo = parseYaml(
      readFileSync(join(ROOT, "scenarios", "donor-game", "offline-demo.yaml"), "utf8"),
    ) as Record<string, unknown>;
    const policyConfig = writeConfig(tmp.path, "policy.yaml", {
      ...demo,
      generations: 2,
      cache: { dir: cacheDir },
    });
    const llm = llmConfig({
      baseURL: fake.baseURL,
      cacheDir,
      generations: 2,
      size: 4,
      timeoutMs: 5_000,
      extra: { donorGame: { rounds: 2 } },
    });
    (llm.profiles as { fake: Record<string, unknown> }).fake.rpm = RPM;
    const llmConfigPath = writeConfig(tmp.path, "llm.yaml", llm);

    const a = startWorker("a");
    const b = startWorker("b");
    await until(
      "both workers to connect",
      () => a.output().includes("worker: queue") && b.output().includes("worker: queue"),
    );

    // The LLM batch first, so each worker (one run at a time) takes one of its two runs.
    const llmBatch = spawnCli(
      [
        "batch",
        llmConfigPath,
        "--seeds",
        LLM_SEEDS.join(","),
        "--out",
        join(tmp.path, "llm"),
        "--queue",
        redis.url,
        "--quiet",
      ],
      ENV,
    );
    const victimRun = "baseline__s0";
    const victimDir = join(tmp.path, "llm", "runs", victimRun);
    const victim = await until("a worker to start the victim run", () =>
      [a, b].find((w) => w.output().includes(`start llm/${victimRun}`)),
    );
    const survivor = victim === a ? b : a;
    const policyBatch = spawnCli(
      [
        "batch",
        policyConfig,
        "--seeds",
        POLICY_SEEDS.join(","),
        "--out",
        join(tmp.path, "policy"),
        "--queue",
        redis.url,
      ],
      ENV,
    );

    // Killed once generation 1 is checkpointed and generation 2 has begun its donations.
    await waitForEvents(
      victimDir,
      victim.proc,
      (events: AgoraEvent[]) =>
        events.some((e) => e.type === "generation-ended" && e.t.generation === 1) &&
        events.some(
          (e) => e.type === "interaction" && e.kind === "donation" && e.t.generation === 2,
        ),
    );
    victim.proc.child.kill("SIGKILL");
    expect((await victim.proc.done).signal).toBe("SIGKILL");
    expect(readJson<Checkpoint>(join(victimDir, "checkpoint.json")).generation).toBe(1);

    const [llmDone, policyDone] = await Promise.all([llmBatch.done, policyBatch.done]);
    expect(llmDone.stderr).toBe("");
    expect(llmDone.code).toBe(0);
    expect(policyDone.code).toBe(0);
    expect(llmDone.stdout).toMatch(/2 job\(s\) added, 0 already queued/);

    // The survivor found the dead worker's job stalled and resumed its run from generation 2.
    expect(survivor.output()).toMatch(
      new RegExp(`resume llm/${victimRun} \\(attempt 1, after \\d+ stall`),
    );
    const manifest = readJson<Manifest>(join(victimDir, "manifest.json"));
    expect(manifest).toMatchObject({ status: "completed", generationsCompleted: 2 });
    expect(manifest.resumes).toEqual([{ at: expect.any(String), fromGeneration: 2 }]);

    // The resumed run equals an uninterrupted run of the same config and seed (served from the
    // cache).
    const requestsBefore = fake.requests.length;
    const reference = await startRun(llmConfigPath, {
      out: join(tmp.path, "reference", victimRun),
      overrides: { seed: 0 },
      env: ENV,
    });
    expect(reference.status).toBe("completed");
    expect(fake.requests.length).toBe(requestsBefore);
    expect(stableEvents(readEvents(victimDir))).toEqual(stableEvents(readEvents(reference.dir)));

    // Every run of both batches: one row, completed, in each coordinator's tables.
    expect(await runsTable(join(tmp.path, "llm"))).toEqual(
      LLM_SEEDS.map((s) => ({ run: `baseline__s${s}`, status: "completed", generations: 2 })),
    );
    expect(await runsTable(join(tmp.path, "policy"))).toEqual(
      POLICY_SEEDS.map((s) => ({ run: `baseline__s${s}`, status: "completed", generations: 2 })),
    );

    // The rpm held across both workers: no window of the limit's length (less dispatch slack) saw
    // more than RPM requests, and the limit bound (a window a little longer than it saw RPM).
    const arrivals = fake.requests.map((r) => r.receivedAt);
    expect(arrivals.length).toBeGreaterThan(4 * RPM);
    // Both workers start their runs together, so limiters of their own would let 2 x RPM through at
    // once.
    expect(busiestWindow(arrivals, WINDOW_MS - DISPATCH_SLACK_MS)).toBeLessThanOrEqual(RPM);
    expect(busiestWindow(arrivals, WINDOW_MS + DISPATCH_SLACK_MS)).toBeGreaterThanOrEqual(RPM);

    // Enqueueing the finished LLM batch again adds no job and calls nobody.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection });
    try {
      const countsBefore = await queue.getJobCounts();
      const again = await runQueuedBatch(
        prepareBatch({ configPath: llmConfigPath, seeds: LLM_SEEDS }),
        { queue: new URL(redis.url), out: join(tmp.path, "llm") },
      );
      expect(again.added).toBe(0);
      expect(again.status).toBe("completed");
      expect(await queue.getJobCounts()).toEqual(countsBefore);
      expect(countsBefore.completed).toBe(LLM_SEEDS.length + POLICY_SEEDS.length);
      expect(fake.requests.length).toBe(requestsBefore);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }, 120_000);
});
