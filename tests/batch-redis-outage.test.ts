/**
 * Redis outages under a queued batch, against a real redis-server, two `agora worker`s and the
 * fake OpenAI server (slow enough that runs are in progress when Redis goes): a restart that lost
 * the queue's data (the coordinator re-enqueues the lost jobs and the batch completes), an outage
 * longer than the job lock (the jobs handed out again wait for their first execution instead of
 * running twice), and an outage longer than the coordinator's limit (it fails with a clear message,
 * and batch.json lists the runs the workers finished meanwhile). The endpoint requests of each
 * batch must equal those of a batch without an outage: a run executed twice calls the endpoint
 * twice (the response cache is off).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchFile } from "../sim/app/batch/batch-file.js";
import { runQueuedBatch } from "../sim/app/batch/queue/coordinator.js";
import { readRunManifest } from "../sim/app/batch/rows.js";
import type { GridAxis } from "../sim/app/batch/plan.js";
import { prepareBatch, runBatch } from "../sim/app/batch/runner.js";
import { startFakeOpenAI, type FakeOpenAI } from "./support/fake-openai.js";
import {
  deterministicScript,
  llmConfig,
  peekEvents,
  readJson,
  sleep,
  spawnCli,
  tempDir,
  writeConfig,
  type CliProcess,
  type CliResult,
} from "./support/llm-helpers.js";
import { startRedis, type RedisServer } from "./support/redis.js";

const ENV = { FAKE_KEY: "sk-outage-test" };
const SEEDS = [0, 1];
/** The workers' --lock-ms: the long outage lasts twice as long. */
const LOCK_MS = 2_000;
/**
 * The endpoint's latency: a run takes about 2.6 s per generation; Redis goes once the first
 * generation of the runs has ended.
 */
const LATENCY_MS = 600;
/** The runs of the first two tests: 6 generations, about 16 s each. */
const GENERATIONS = 6;
/**
 * The last test's runs: one of 2 generations that ends during the outage, one of 10 that outlives
 * the coordinator's outage limit.
 */
const MIXED: GridAxis[] = [["generations", [2, 10]]];
const OUTAGE_MS = 12_000;

let redis: RedisServer;
let fake: FakeOpenAI;
let quick: FakeOpenAI;
let config: string;
/** Endpoint requests of the runs of each test, in a batch without an outage. */
const reference = { runs: 0, mixed: 0 };
const tmp = tempDir("batch-redis-outage");
const workers: { proc: CliProcess; output: () => string }[] = [];

async function until<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const settled = <T>(promise: Promise<T>) => {
  const state: { done: boolean; value?: T } = { done: false };
  void promise.then((value) => Object.assign(state, { done: true, value }));
  return state;
};

function configOf(baseURL: string, name: string): string {
  return writeConfig(
    tmp.path,
    name,
    llmConfig({
      baseURL,
      cacheDir: join(tmp.path, "cache"),
      cacheMode: "off",
      generations: GENERATIONS,
      size: 4,
      timeoutMs: 10_000,
      extra: { donorGame: { rounds: 3 } },
    }),
  );
}

/** What each worker printed since `marks` (one offset per worker). */
const outputSince = (marks: number[]) => workers.map((w, i) => w.output().slice(marks[i])).join("");

/** How many times a run was started or resumed in `output`. */
const executions = (output: string, batch: string, run: string) =>
  output.split("\n").filter((line) => new RegExp(`^(start|resume) ${batch}/${run} `).test(line))
    .length;

/**
 * Starts `agora batch CONFIG --queue` into tmp/NAME and resolves once every run has completed its
 * first generation (and none has ended): the runs are in progress on the workers.
 */
async function batchUnderway(name: string) {
  const out = join(tmp.path, name);
  const batch = spawnCli(
    ["batch", config, "--seeds", SEEDS.join(","), "--out", out, "--queue", redis.url],
    ENV,
  );
  const state = settled(batch.done);
  const runs = await until("batch.json", () => {
    if (state.done) throw new Error(`the batch ended early: ${JSON.stringify(state.value)}`);
    try {
      return readJson<BatchFile>(join(out, "batch.json")).runs.map((r) => r.id);
    } catch {
      return undefined;
    }
  });
  await until("every run in progress", () => {
    if (state.done) throw new Error(`the batch ended early: ${JSON.stringify(state.value)}`);
    return runs.every((run) => {
      const dir = join(out, "runs", run);
      return (
        peekEvents(dir).some((e) => e.type === "generation-ended" && e.t.generation === 1) &&
        readRunManifest(dir)?.status !== "completed"
      );
    });
  });
  const ended = () => until("the batch to end", () => state.done && state.value, 90_000);
  return { out, runs, ended };
}

/** Every run of the batch completed, once, and batch.json lists them all. */
function expectCompletedOnce(out: string, runs: string[], done: CliResult, output: string) {
  expect(done.code, done.stderr).toBe(0);
  const file = readJson<BatchFile>(join(out, "batch.json"));
  expect(file.status).toBe("completed");
  expect(file.runs.map((r) => [r.id, r.status])).toEqual(runs.map((run) => [run, "completed"]));
  for (const run of runs) {
    const manifest = readRunManifest(join(out, "runs", run))!;
    expect(manifest.status).toBe("completed");
    expect(manifest.resumes, run).toEqual([]);
    expect(executions(output, file.batchId, run), run).toBe(1);
  }
}

beforeAll(async () => {
  redis = await startRedis();
  fake = await startFakeOpenAI({ script: deterministicScript(), latencyMs: LATENCY_MS });
  quick = await startFakeOpenAI({ script: deterministicScript() });
  config = configOf(fake.baseURL, "llm.yaml");
  // The same runs in a local batch without Redis, on an endpoint without latency.
  const quickConfig = configOf(quick.baseURL, "reference.yaml");
  const requests: [keyof typeof reference, { seeds: number[]; grid?: GridAxis[] }][] = [
    ["runs", { seeds: SEEDS }],
    ["mixed", { seeds: [0], grid: MIXED }],
  ];
  for (const [key, request] of requests) {
    const before = quick.requests.length;
    const result = await runBatch(prepareBatch({ configPath: quickConfig, ...request }), {
      out: join(tmp.path, `reference-${key}`),
      concurrency: 2,
      llmConcurrency: 32,
      env: ENV,
    });
    expect(result.status).toBe("completed");
    reference[key] = quick.requests.length - before;
  }
  for (let i = 0; i < 2; i++) {
    const proc = spawnCli(
      [
        "worker",
        "--queue",
        redis.url,
        "--concurrency",
        "2",
        "--out",
        tmp.path,
        "--lock-ms",
        String(LOCK_MS),
      ],
      ENV,
    );
    workers.push({ proc, output: proc.stderr });
  }
  await until("both workers to connect", () =>
    workers.every((w) => w.output().includes("worker: queue")),
  );
}, 60_000);

afterAll(async () => {
  for (const { proc } of workers)
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  await Promise.all(workers.map((w) => w.proc.done.catch(() => undefined)));
  await fake?.close();
  await quick?.close();
  await redis?.stop();
  tmp.cleanup();
});

describe("a queued batch through Redis outages", () => {
  it("re-enqueues the jobs a Redis restarted without its data lost, and runs each run once", async () => {
    const marks = workers.map((w) => w.output().length);
    const requests = fake.requests.length;
    const { out, runs, ended } = await batchUnderway("lost");
    await redis.down({ keepData: false });
    await redis.up();

    const done = await ended();
    expect(done.stderr).toContain(`Redis lost ${runs.length} job(s) of this batch`);
    expect(done.stdout).toContain(`${runs.length} job(s) re-enqueued after Redis lost them`);
    expectCompletedOnce(out, runs, done, outputSince(marks));
    expect(fake.requests.length - requests).toBe(reference.runs);
  }, 120_000);

  it("runs no run twice when Redis is out for longer than the job lock", async () => {
    const marks = workers.map((w) => w.output().length);
    const requests = fake.requests.length;
    const { out, runs, ended } = await batchUnderway("outage");
    await redis.down({ keepData: true });
    // The outage: every job's lock expires meanwhile, so the queue hands the jobs out again.
    await sleep(2 * LOCK_MS);
    await redis.up();

    const done = await ended();
    const output = outputSince(marks);
    expectCompletedOnce(out, runs, done, output);
    expect(fake.requests.length - requests).toBe(reference.runs);
    // The jobs were handed out again, and their second executions stood down.
    for (const run of runs) {
      expect(output).toContain(`outage/${run} is already running`);
      expect(output).toContain(`discarded a duplicate execution of outage/${run}`);
    }
  }, 120_000);

  it("fails clearly when Redis stays away past the limit; batch.json lists the runs finished meanwhile", async () => {
    const requests = fake.requests.length;
    const plan = prepareBatch({ configPath: config, seeds: [0], grid: MIXED });
    const generationsOf = (id: string) =>
      (plan.specs.find((spec) => spec.id === id)!.raw as { generations: number }).generations;
    const runs = plan.specs.map((spec) => spec.id);
    const [short, long] = [...runs].sort((a, b) => generationsOf(a) - generationsOf(b));
    const out = join(tmp.path, "gone");
    const following = settled(
      runQueuedBatch(plan, { queue: new URL(redis.url), out, outageMs: OUTAGE_MS }).then(
        () => new Error("the coordinator returned"),
        (error: Error) => error,
      ),
    );
    await until("every run in progress", () =>
      runs.every((run) =>
        peekEvents(join(out, "runs", run)).some(
          (e) => e.type === "generation-ended" && e.t.generation === 1,
        ),
      ),
    );
    await redis.down({ keepData: false });
    // A worker finishes the short run without Redis, while the coordinator still waits for it.
    await until(
      "the short run to finish",
      () => readRunManifest(join(out, "runs", short!))?.status === "completed",
    );
    expect(following.done, "the coordinator gave up before the short run finished").toBe(false);
    const error = await until("the coordinator to give up", () => following.value);
    expect(readRunManifest(join(out, "runs", long!))?.status, "the long run ended first").toBe(
      "running",
    );
    expect(error.message).toBe(
      `--queue: Redis at 127.0.0.1:${redis.port} has not answered for ${OUTAGE_MS / 1000} s: stopped following the batch (1 of 2 run(s) finished, in ${join(out, "batch.json")}); runs in progress on the workers go on. Once Redis is back, run the same command again: it re-enqueues the jobs Redis lost and follows the rest`,
    );
    const file = readJson<BatchFile>(join(out, "batch.json"));
    expect(file.status).toBe("interrupted");
    expect(Object.fromEntries(file.runs.map((r) => [r.id, r.status]))).toEqual({
      [short!]: "completed",
      [long!]: "running",
    });

    // Redis is back, empty: the same batch re-enqueues both jobs; the short run is not run again,
    // the long one not twice.
    await redis.up();
    const again = await runQueuedBatch(plan, { queue: new URL(redis.url), out });
    expect(again.status).toBe("completed");
    expect(again.added).toBe(runs.length);
    expect(fake.requests.length - requests).toBe(reference.mixed);
  }, 120_000);
});
