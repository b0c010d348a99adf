/**
 * Batch benchmark, one process: S seeds of the default Donor Game (12 LLM agents on the fake
 * OpenAI server in its own process, fixed latency L, cache off) as one `agora batch` with every run
 * in progress at once on W worker threads, against one run of the same config alone. The figure of
 * merit is the batch's wall time / one run's wall time (target <= 1.2): the runs share nothing but
 * the process, so ideally the batch takes as long as its slowest run.
 *
 *   npx tsx bench/batch-local.ts [--seeds S] [--latency MS] [--generations G] [--workers W]
 *     [--build] [--json]
 *   env: BENCH_BATCH_SEEDS (32), BENCH_BATCH_LATENCY_MS (500), BENCH_BATCH_GENERATIONS (3),
 *   BENCH_BATCH_WORKERS (the number of cores; 1 = every run on the main thread)
 *
 * --build runs the compiled package (dist/, as `agora batch` does: `npm run build` first) instead
 * of the sources through tsx, whose worker threads compile TypeScript as they start.
 */
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import * as sourceRunner from "../sim/app/batch/runner.js";
import type { BatchPlan, BatchResult } from "../sim/app/batch/runner.js";
import { readManifest } from "../sim/core/recorder.js";
import * as sourceRun from "../sim/app/run.js";
import { hasFlag, isMain, numberOption, seconds, tempDir, writeConfig } from "./common.js";
import { startFakeServer, type BenchServer } from "./fake-server-process.js";

export interface BatchBenchOptions {
  seeds: number;
  latencyMs: number;
  generations: number;
}

export interface BatchFigures extends BatchBenchOptions {
  /** How it ran: "local" (one process, `workers` threads) or "redis" (workers over a queue). */
  mode: string;
  workers: number;
  /** The compiled package (`--build`) rather than the sources. */
  build?: boolean;
  singleRunMs: number;
  batchMs: number;
  ratio: number;
  /** Requests the server received for the batch (expected seeds x the single run's). */
  requests: number;
  singleRunRequests: number;
  completed: number;
  /** From the batch's start to its first and its last run's start (queueing and set-up). */
  firstStartMs: number;
  lastStartMs: number;
  /** From the batch's start to its last run's end: what follows is the final tables and close. */
  lastEndMs: number;
  /** Mean of the runs' own wall times (manifest startedAt to endedAt). */
  meanRunMs: number;
  /**
   * CPU time (user + system) of this process, all its threads, during the batch, per request the
   * server received: the client's cost per call, less sensitive to other load than wall time.
   */
  cpuPerRequestMs: number;
}

/**
 * When the runs of a batch directory started (relative to `t0`, epoch ms) and how long each took.
 */
export function runTimes(
  batchDir: string,
  t0: number,
): Pick<BatchFigures, "firstStartMs" | "lastStartMs" | "lastEndMs" | "meanRunMs"> {
  const manifests = readdirSync(join(batchDir, "runs")).map((id) =>
    readManifest(join(batchDir, "runs", id)),
  );
  const starts = manifests.map((m) => Date.parse(m.startedAt) - t0);
  const walls = manifests.map(
    (m) => Date.parse(m.endedAt ?? m.startedAt) - Date.parse(m.startedAt),
  );
  return {
    firstStartMs: Math.min(...starts),
    lastStartMs: Math.max(...starts),
    lastEndMs: Math.max(...manifests.map((m) => Date.parse(m.endedAt ?? m.startedAt) - t0)),
    meanRunMs: walls.reduce((a, b) => a + b, 0) / walls.length,
  };
}

export function optionsFromArgv(argv: readonly string[]): BatchBenchOptions {
  return {
    seeds: Math.max(1, Math.round(numberOption(argv, "seeds", "BENCH_BATCH_SEEDS", 32))),
    latencyMs: numberOption(argv, "latency", "BENCH_BATCH_LATENCY_MS", 500),
    generations: Math.max(
      1,
      Math.round(numberOption(argv, "generations", "BENCH_BATCH_GENERATIONS", 3)),
    ),
  };
}

/**
 * The default Donor Game with every agent on the fake server, as in the critical-path benchmark.
 */
export function writeBenchConfig(dir: string, baseURL: string, generations: number): string {
  return writeConfig(dir, "batch-bench.yaml", {
    scenario: "donor-game",
    seed: 0,
    generations,
    population: { size: 12, minds: [{ count: 12, profile: "fake" }] },
    profiles: { fake: { model: "test-model", baseURL } },
    llm: { maxConcurrency: 64 },
    cache: { mode: "off", dir: join(dir, "cache") },
  });
}

/** What a benchmark runs: the sources, or the compiled package. */
export interface App {
  startRun: typeof sourceRun.startRun;
  prepareBatch: typeof sourceRunner.prepareBatch;
  runBatch: typeof sourceRunner.runBatch;
  /** Loads the LLM client stack, which a run imports at its first call (LangChain, the SDK). */
  loadLlmStack: () => Promise<unknown>;
}

const SOURCES: App = {
  ...sourceRun,
  ...sourceRunner,
  loadLlmStack: () => import("../agents/chat/endpoint.js"),
};

/** The compiled package's modules (dist/), as `agora` runs them. */
export async function builtApp(): Promise<App> {
  const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
  try {
    const run = (await import(dist("sim/app/run.js"))) as typeof sourceRun;
    const runner = (await import(dist("sim/app/batch/runner.js"))) as typeof sourceRunner;
    return {
      startRun: run.startRun,
      prepareBatch: runner.prepareBatch,
      runBatch: runner.runBatch,
      loadLlmStack: () => import(dist("agents/chat/endpoint.js")),
    };
  } catch (error) {
    throw new Error(
      `--build: cannot load the compiled package from dist/ (run npm run build first): ${String(error)}`,
      { cause: error },
    );
  }
}

/**
 * One run of the config alone: its wall time and the requests it made. The run is timed warm, with
 * the LLM client stack already loaded (as every run was before that stack was imported lazily):
 * the figure is what a run takes, not this process's first import of LangChain.
 */
export async function singleRun(
  server: BenchServer,
  configPath: string,
  out: string,
  app: Pick<App, "startRun" | "loadLlmStack"> = SOURCES,
): Promise<{ ms: number; requests: number }> {
  await app.loadLlmStack();
  const before = (await server.arrivals()).length;
  const t0 = performance.now();
  const result = await app.startRun(configPath, { out });
  const ms = performance.now() - t0;
  if (result.status !== "completed")
    throw new Error(`the single run ended "${result.status}": ${result.error ?? ""}`);
  return { ms, requests: (await server.arrivals()).length - before };
}

/**
 * How a benchmark runs its batch: set-up after the single run (workers), then the batch itself into
 * `out`.
 */
export interface BatchExecution {
  mode: string;
  workers: number;
  /** The modules the single run and the plan come from (default: the sources). */
  app?: App;
  beforeBatch?: (dir: string) => Promise<void>;
  run: (plan: BatchPlan, out: string) => Promise<BatchResult>;
}

/** One run alone, then the batch of `options.seeds` seeds, timed from the plan to the tables. */
export async function measureBatch(
  server: BenchServer,
  options: BatchBenchOptions,
  dir: string,
  execution: BatchExecution,
): Promise<BatchFigures> {
  const configPath = writeBenchConfig(dir, server.baseURL, options.generations);
  const app = execution.app ?? SOURCES;
  const single = await singleRun(server, configPath, join(dir, "single"), app);
  await execution.beforeBatch?.(dir);
  const before = (await server.arrivals()).length;
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await execution.run(
    app.prepareBatch({ configPath, seeds: `0..${options.seeds - 1}` }),
    join(dir, "batch"),
  );
  const batchMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const requests = (await server.arrivals()).length - before;
  return {
    ...options,
    mode: execution.mode,
    workers: execution.workers,
    singleRunMs: single.ms,
    batchMs,
    ratio: batchMs / single.ms,
    requests,
    singleRunRequests: single.requests,
    completed: result.file.counts.completed,
    ...runTimes(join(dir, "batch"), started),
    cpuPerRequestMs: (cpu.user + cpu.system) / 1000 / requests,
  };
}

export async function benchBatchLocal(
  options: BatchBenchOptions & { workers: number; build: boolean },
): Promise<BatchFigures> {
  const app = options.build ? await builtApp() : SOURCES;
  const server = await startFakeServer({ latencyMs: options.latencyMs, outOfProcess: true });
  const tmp = tempDir("agora-bench-batch-");
  try {
    const figures = await measureBatch(server, options, tmp.dir, {
      mode: "local",
      workers: options.workers,
      app,
      run: (plan, out) =>
        app.runBatch(plan, {
          out,
          concurrency: options.seeds,
          llmConcurrency: options.seeds * 64,
          workers: options.workers,
        }),
    });
    return { ...figures, build: options.build };
  } finally {
    await server.close();
    tmp.remove();
  }
}

export function report(f: BatchFigures): string {
  const where =
    f.mode === "local"
      ? `one process, ${f.workers === 1 ? "main thread only" : `${f.workers} worker threads`}${f.build ? ", the compiled package" : ""}`
      : `${f.workers} workers over Redis`;
  return [
    `Batch (${where}): ${f.seeds} seeds of the default Donor Game, 12 LLM agents each on the fake server (own process), L = ${f.latencyMs} ms, G = ${f.generations}, cache off, all runs at once`,
    `  one run alone        ${seconds(f.singleRunMs)} s  (${f.singleRunRequests} requests)`,
    `  the batch            ${seconds(f.batchMs)} s  (${f.completed}/${f.seeds} completed, ${f.requests} requests)`,
    `  runs                 started ${seconds(f.firstStartMs)}–${seconds(f.lastStartMs)} s after the batch, ${seconds(f.meanRunMs)} s each on average`,
    `  after the last run   ${seconds(f.batchMs - f.lastEndMs)} s  (the last ended ${seconds(f.lastEndMs)} s in: final tables, threads closed)`,
    `  client CPU           ${f.cpuPerRequestMs.toFixed(2)} ms per request (${f.mode === "local" ? "this process, all its threads" : "the coordinator process only"})`,
    `  ratio                ${f.ratio.toFixed(2)}  (batch / one run; target <= 1.2)`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const workers = Math.max(
    1,
    Math.round(numberOption(argv, "workers", "BENCH_BATCH_WORKERS", availableParallelism())),
  );
  const figures = await benchBatchLocal({
    ...optionsFromArgv(argv),
    workers,
    build: hasFlag(argv, "build"),
  });
  console.log(hasFlag(argv, "json") ? JSON.stringify(figures) : report(figures));
}
