/**
 * A local batch on worker threads (`agora batch --workers N`, sim/app/batch/threads.ts): its runs
 * execute on N threads, end exactly as in a one-thread batch, and still share one LLM concurrency
 * limit, one budget whose cap stops the runs of every thread, the in-flight answers of one seed,
 * Ctrl-C and resume.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { threadId } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { BatchFile } from "../sim/app/batch/batch-file.js";
import {
  prepareBatch,
  runBatch,
  type BatchObserver,
  type BatchResult,
} from "../sim/app/batch/runner.js";
import { preloadScenario } from "../sim/app/scenarios.js";
import type { Manifest } from "../sim/core/recorder.js";
import {
  overlappingScript,
  llmWorkspace,
  readEvents,
  readJson,
  runCli,
  stableEvents,
  sum,
  writeConfig,
} from "./support/llm-helpers.js";

const ENV = { FAKE_KEY: "sk-batch-workers-test" };
/** Calls of one run of the 4-agent, 1-generation Donor Game (as in batch-llm.test.ts). */
const CALLS_PER_RUN = 52;

const workspace = llmWorkspace("batch-workers");

const readYaml = (path: string) => parseYaml(readFileSync(path, "utf8")) as Record<string, unknown>;

const manifestOf = (dir: string, id: string) =>
  readJson<Manifest>(join(dir, "runs", id, "manifest.json"));

/** The runs' errors, to show beside a failed status. */
const errors = (result: BatchResult): string =>
  result.file.runs.map((r) => `${r.id}: ${r.error}`).join("\n");

/** Records the thread every run began on. */
function threadLog(): { threads: Map<string, number>; observer: BatchObserver } {
  const threads = new Map<string, number>();
  return {
    threads,
    observer: { onRunBegin: (spec, _mode, thread) => threads.set(spec.id, thread!) },
  };
}

describe("a batch on worker threads", () => {
  it("runs on N threads, shares one LLM limit and the answers of a seed, and ends as a one-thread batch", async () => {
    const { work, configPath, fake } = await workspace.setup({ size: 4, generations: 1 });
    const { script, peak } = overlappingScript();
    fake.setScript(script);
    // Two conditions whose prompts are identical per seed (a cap far above the run's calls
    // changes nothing the model sees): their requests can only be shared within one thread.
    const plan = prepareBatch({
      configPath,
      seeds: "0,1",
      grid: [["budget.maxCalls", [1000, 2000]]],
    });
    const { threads, observer } = threadLog();
    const threaded = await runBatch(plan, {
      out: join(work, "threaded"),
      concurrency: 4,
      llmConcurrency: 3,
      workers: 2,
      observer,
      env: ENV,
    });
    expect(threaded.status, errors(threaded)).toBe("completed");
    expect(threads.size).toBe(4);
    const used = new Set(threads.values());
    expect(used.size).toBe(2);
    expect(used.has(threadId)).toBe(false);
    // The runs of one seed went to one thread.
    for (const seed of [0, 1]) {
      const ofSeed = plan.specs.filter((s) => s.seed === seed).map((s) => threads.get(s.id));
      expect(new Set(ofSeed).size).toBe(1);
    }
    expect(peak()).toBeLessThanOrEqual(3);
    expect(sum(threaded.rows.map((r) => r.llm_calls))).toBe(4 * CALLS_PER_RUN);
    expect(fake.requests).toHaveLength(2 * CALLS_PER_RUN);
    expect(threaded.file.totals.calls).toBe(4 * CALLS_PER_RUN);

    // The same batch in this thread (answered by the cache now): the same runs, event for event.
    const here = threadLog();
    const single = await runBatch(plan, {
      out: join(work, "single"),
      concurrency: 4,
      llmConcurrency: 3,
      workers: 1,
      observer: here.observer,
      env: ENV,
    });
    expect(single.status).toBe("completed");
    expect(new Set(here.threads.values())).toEqual(new Set([threadId]));
    expect(fake.requests).toHaveLength(2 * CALLS_PER_RUN);
    for (const spec of plan.specs) {
      expect(stableEvents(readEvents(join(threaded.dir, "runs", spec.id))), spec.id).toEqual(
        stableEvents(readEvents(join(single.dir, "runs", spec.id))),
      );
    }
    const strip = (rows: typeof single.rows) =>
      rows.map(({ batch: _b, wall_s: _w, ...row }) => row);
    expect(strip(threaded.rows)).toEqual(strip(single.rows));
  }, 60_000);

  it("--max-calls stops the runs of every thread at the batch's cap, no call beyond it", async () => {
    const { work, configPath, fake } = await workspace.setup({ size: 4, generations: 1 });
    const out = join(work, "capped");
    const { threads, observer } = threadLog();
    const capped = await runBatch(prepareBatch({ configPath, seeds: "0..3" }), {
      out,
      concurrency: 4,
      llmConcurrency: 64,
      workers: 2,
      maxCalls: 100,
      observer,
      env: ENV,
    });
    expect(capped.status, errors(capped)).toBe("budget-exhausted");
    expect(capped.file.budget).toEqual({ maxCost: null, maxCalls: 100, exhausted: true });
    expect(capped.file.totals.calls).toBe(100);
    expect(fake.requests).toHaveLength(100);
    const calls = capped.file.runs.map((r) => manifestOf(out, r.id).totals.calls);
    expect(sum(calls)).toBe(100);
    // Every thread had a run the cap stopped.
    const stoppedOn = new Set(
      capped.file.runs.filter((r) => r.status === "budget-exhausted").map((r) => threads.get(r.id)),
    );
    expect(new Set(threads.values()).size).toBe(2);
    expect(stoppedOn).toEqual(new Set(threads.values()));
    for (const run of capped.file.runs) {
      if (run.status !== "completed")
        expect(manifestOf(out, run.id).error, run.id).toMatch(/max-calls cap of 100 reached/);
    }

    // Through the CLI, on 2 threads: the restarted batch stops its runs at the raised cap again;
    // exit 3.
    const again = await runCli(
      [
        "batch",
        configPath,
        "--seeds",
        "0..3",
        "--out",
        out,
        "--workers",
        "2",
        "--max-calls",
        "120",
      ],
      ENV,
    );
    expect(again.code).toBe(3);
    const file = readJson<BatchFile>(join(out, "batch.json"));
    expect(file.totals.calls).toBe(120);
    for (const run of file.runs) {
      if (run.status !== "completed")
        expect(manifestOf(out, run.id).error, run.id).toMatch(/max-calls cap of 120 reached/);
    }
  }, 60_000);

  it("an interrupted threaded batch stops every run and the same call resumes them to the end", async () => {
    const { work, configPath } = await workspace.setup({ size: 4, generations: 2 });
    const out = join(work, "interrupted");
    const plan = prepareBatch({ configPath, seeds: "0..3" });
    const abort = new AbortController();
    const first = await runBatch(plan, {
      out,
      concurrency: 4,
      llmConcurrency: 64,
      workers: 2,
      signal: abort.signal,
      observer: { onGeneration: () => abort.abort() },
      env: ENV,
    });
    expect(first.status, errors(first)).toBe("interrupted");
    expect(first.file.runs.some((r) => r.status === "interrupted")).toBe(true);
    const resumed = await runBatch(plan, {
      out,
      concurrency: 4,
      llmConcurrency: 64,
      workers: 2,
      env: ENV,
    });
    expect(resumed.status).toBe("completed");
    expect(resumed.file.runs.map((r) => r.generationsCompleted)).toEqual([2, 2, 2, 2]);
  }, 60_000);

  it("a scenario module that fails on a thread fails its runs with its own error, and the batch ends", async () => {
    const dir = workspace.dir();
    // Loads on the main thread (as the CLI's check does) and throws on any worker thread.
    const donorGame = join(import.meta.dirname, "..", "scenarios", "donor-game", "index.ts");
    writeFileSync(
      join(dir, "thread-shy.mjs"),
      [
        'import { isMainThread } from "node:worker_threads";',
        'if (!isMainThread) throw new Error("thread-shy refuses to load on a worker thread");',
        `export { default } from ${JSON.stringify(pathToFileURL(donorGame).href)};`,
      ].join("\n"),
    );
    const configPath = writeConfig(dir, "shy.yaml", {
      scenario: "./thread-shy.mjs",
      seed: 0,
      generations: 1,
      population: { size: 4, minds: [{ count: 4, policy: "tit-for-tat" }] },
    });
    // As `agora batch` does before planning.
    await preloadScenario(readYaml(configPath), dir);
    const result = await runBatch(prepareBatch({ configPath, seeds: "0..3" }), {
      out: join(dir, "batch"),
      concurrency: 4,
      llmConcurrency: 64,
      workers: 2,
    });
    expect(result.file.runs.map((r) => r.status)).toEqual(Array(4).fill("failed"));
    // Each run fails on its own with the module's error: the thread lives on.
    for (const run of result.file.runs) {
      expect(run.error).toContain("thread-shy refuses to load on a worker thread");
      expect(run.error).not.toContain("worker thread stopped");
    }
  }, 60_000);

  it("refuses a bad --workers or batch.workers, and --workers with --serve or --queue", async () => {
    const { work, configPath } = await workspace.setup({ size: 4, generations: 1 });
    const zero = await runCli(["batch", configPath, "--workers", "0"], ENV);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--workers: got "0", expected a positive integer/);
    const serve = await runCli(["batch", configPath, "--workers", "2", "--serve"], ENV);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/--serve runs every run in this process/);
    const queue = await runCli(
      ["batch", configPath, "--workers", "2", "--queue", "redis://127.0.0.1:1"],
      ENV,
    );
    expect(queue.code).toBe(2);
    expect(queue.stderr).toMatch(/--workers .*--queue/);

    // batch.workers in the config: the plan carries it (runBatch's default); a bad one is refused.
    const raw = readYaml(configPath);
    const declared = writeConfig(work, "declared.yaml", { ...raw, batch: { workers: 3 } });
    expect(prepareBatch({ configPath: declared }).workers).toBe(3);
    const bad = writeConfig(work, "bad.yaml", { ...raw, batch: { workers: 0 } });
    const refused = await runCli(["batch", bad], ENV);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/batch\.workers/);
  }, 60_000);
});
