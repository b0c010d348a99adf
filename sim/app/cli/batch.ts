import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { type Command, Option } from "commander";
import { ConfigError } from "../../core/errors.js";
import type { prepareBatch } from "../batch/runner.js";
import type { LiveBatch } from "../server/batch-live.js";
import { result, status, withOutputFlags } from "./output.js";
import {
  positive,
  requireServe,
  speed,
  untilSignal,
  UsageError,
  withServerFlags,
  type ServeFlags,
} from "./server-flags.js";

export interface BatchFlags extends ServeFlags {
  seeds?: string;
  /** The --grid flags as given (KEY=V1,V2,...), parsed in the action. */
  grid?: string[];
  concurrency: number;
  workers?: number;
  llmConcurrency?: number;
  out?: string;
  retryFailed?: boolean;
  dryRun?: boolean;
  tablesOnly?: boolean;
  maxCost?: number;
  maxCalls?: number;
  cache?: "off" | "read-write" | "replay";
  model?: string;
  queue?: string;
  serve?: boolean;
  exitWhenDone?: boolean;
  speed?: number;
}

/** As batch.workers in a config (sim/core/config.ts). */
const MAX_WORKERS = 256;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `agora batch CONFIG ...`: grid x seeds, resumable, with shared limits, budget and tables
 * (sim/app/batch/README.md).
 */
export function registerBatch(program: Command): Command {
  const batch = program
    .command("batch")
    .description(
      "run a grid of conditions x seeds (resumable), then write DIR/runs.* and DIR/metrics.* tables",
    )
    .argument("<config>", "YAML config file (may declare the batch in a batch: section)")
    .option(
      "--seeds <list>",
      "seeds: A..B (inclusive), 1,5,9, or both (default: batch.seeds, else the config's seed)",
    )
    .option(
      "--grid <key=values>",
      "a condition axis: a config key path and comma-separated values (repeatable)",
      collect,
    )
    .option("--concurrency <n>", "runs in progress at once", positive("--concurrency", true), 4)
    .option(
      "--workers <n>",
      "worker threads the runs execute on (default: batch.workers, else the number of cores; 1 = this thread; 1 with --serve)",
      positive("--workers", true),
    )
    .option(
      "--llm-concurrency <n>",
      "LLM calls in flight at once across all runs (default: concurrency x llm.maxConcurrency)",
      positive("--llm-concurrency", true),
    )
    .option("--out <dir>", "batch directory (default runs/<config name>-batch)")
    .option("--retry-failed", "run the failed runs again (resuming from their last checkpoint)")
    .option(
      "--dry-run",
      "estimate calls, tokens and cost from one run per condition on policy minds or the cache (replay); run nothing",
    )
    .option(
      "--tables-only",
      "rebuild DIR's tables from batch.json and the run directories; run nothing",
    )
    .option(
      "--max-cost <usd>",
      "batch-wide cap: stop runs cleanly once the batch's priced cost reaches this",
      positive("--max-cost", false),
    )
    .option(
      "--max-calls <n>",
      "batch-wide cap on LLM calls across all runs",
      positive("--max-calls", true),
    )
    .addOption(
      new Option("--cache <mode>", "response cache mode for every run").choices([
        "off",
        "read-write",
        "replay",
      ]),
    )
    .option("--model <profile>", "every LLM mind uses this profile")
    .option(
      "--queue <url>",
      "enqueue the runs on Redis (redis://HOST:PORT) for `agora worker`s and follow them, instead of running them here",
    )
    .option(
      "--serve",
      "serve the batch page to the browser viewer while the batch runs, every active run live (until Ctrl-C unless --exit-when-done)",
    );
  withServerFlags(batch, "batch").option(
    "--speed <steps>",
    "with --serve: at most this many engine steps per second in each run (0 = unlimited; the viewer can change it)",
    speed,
  );
  return withOutputFlags(batch, true).action(async (configPath: string, opts: BatchFlags) => {
    requireServe(opts);
    if (opts.speed !== undefined && !opts.serve) throw new UsageError("--speed needs --serve");
    const runsNothing =
      opts.queue !== undefined
        ? "--queue"
        : opts.dryRun
          ? "--dry-run"
          : opts.tablesOnly
            ? "--tables-only"
            : undefined;
    if (opts.workers !== undefined && (opts.queue !== undefined || opts.tablesOnly)) {
      throw new UsageError(
        `--workers sets the threads this process runs the batch on, and with ${opts.queue !== undefined ? "--queue the runs execute on `agora worker`s (start more of them instead)" : "--tables-only it runs nothing"}`,
      );
    }
    if (opts.workers !== undefined && opts.workers > MAX_WORKERS)
      throw new UsageError(`--workers: got ${opts.workers}, expected at most ${MAX_WORKERS}`);
    if (opts.serve && opts.workers !== undefined && opts.workers > 1) {
      throw new UsageError(
        "--serve runs every run in this process (its live runs are paced and paused from here): use it without --workers",
      );
    }
    if (opts.serve && runsNothing) {
      throw new UsageError(
        `--serve shows the runs this process executes, and with ${runsNothing} it executes none; watch the batch directory with \`agora serve --runs DIR\` instead`,
      );
    }
    const { BATCH_EXIT, defaultBatchDir, prepareBatch } = await import("../batch/runner.js");
    const out = resolve(opts.out ?? defaultBatchDir(configPath));
    if (opts.tablesOnly) {
      const [{ readBatchFile }, { writeTables }, { tableFiles }] = await Promise.all([
        import("../batch/batch-file.js"),
        import("../batch/tables.js"),
        import("../batch/progress.js"),
      ]);
      if (!readBatchFile(out))
        throw new ConfigError(
          "--out",
          out,
          "a batch directory holding batch.json (for --tables-only)",
        );
      const counts = await writeTables(out);
      result(
        `tables: ${Object.entries(counts)
          .map(([table, rows]) => `${table} ${rows === null ? "unchanged" : `${rows} row(s)`}`)
          .join(", ")} in ${out} (.parquet and .csv)\n`,
        () => ({ batchDir: out, rows: counts, tables: tableFiles(out) }),
      );
      return;
    }
    const [config, { preloadScenario }, { parseGridFlag }] = await Promise.all([
      import("../../core/config.js"),
      import("../scenarios.js"),
      import("../batch/plan.js"),
    ]);
    const { baseConfigSchema, parseOrThrow, readConfigFile } = config;
    const grid = opts.grid?.map(parseGridFlag);
    await preloadScenario(readConfigFile(configPath), dirname(resolve(configPath)));
    const plan = prepareBatch({
      configPath,
      ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
      ...(grid ? { grid } : {}),
      ...(opts.cache ? { cacheMode: opts.cache } : {}),
      ...(opts.model ? { model: opts.model } : {}),
    });
    if (opts.dryRun) {
      const { estimateBatch, formatEstimate } = await import("../batch/dry-run.js");
      const estimate = await estimateBatch(plan, out);
      result(`${formatEstimate(estimate, plan)}\n`, () => ({ batchDir: out, estimate }));
      return;
    }
    if (opts.queue !== undefined) {
      const { followQueuedBatch } = await import("../batch/queue/follow.js");
      process.exitCode = await followQueuedBatch(plan, out, { ...opts, queue: opts.queue });
      return;
    }
    const perRun = parseOrThrow(
      baseConfigSchema.shape.llm,
      (readConfigFile(configPath) as { llm?: unknown }).llm,
      "llm",
    ).maxConcurrency;
    const llmConcurrency = opts.llmConcurrency ?? opts.concurrency * perRun;
    if (!opts.serve) {
      const workers = opts.workers ?? plan.workers ?? availableParallelism();
      process.exitCode = await execute(plan, out, opts, llmConcurrency, workers);
      return;
    }
    const { serveBatch } = await import("../server/batch-live.js");
    const live = await serveBatch(out, {
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.token !== undefined ? { token: opts.token } : {}),
    });
    status(`viewer: ${live.server.url}`);
    try {
      const pace = opts.speed;
      const paced: Pick<LiveBatch, "track"> = pace
        ? {
            track: (...args) => {
              const tracked = live.track(...args);
              tracked.live.gate.setSpeed(pace);
              return tracked;
            },
          }
        : live;
      process.exitCode = await execute(plan, out, opts, llmConcurrency, 1, paced);
      if (opts.exitWhenDone || process.exitCode === BATCH_EXIT.interrupted) {
        // Let connected viewers receive the end of the runs first.
        await live.server.settle(2000);
      } else {
        status(`batch ended; still serving ${live.server.url} (Ctrl-C to stop)`);
        await untilSignal();
      }
    } finally {
      await live.server.close();
    }
  });
}

async function execute(
  plan: ReturnType<typeof prepareBatch>,
  out: string,
  opts: BatchFlags,
  llmConcurrency: number,
  workers: number,
  live?: Pick<LiveBatch, "track">,
): Promise<number> {
  const [{ runBatch }, { watchBatch }] = await Promise.all([
    import("../batch/runner.js"),
    import("../batch/watch.js"),
  ]);
  const onInterrupt =
    "stopping every run after its current step (Ctrl-C again to quit at once; the same command resumes)";
  return watchBatch(plan, out, { onInterrupt }, (progress, signal) =>
    runBatch(plan, {
      out,
      concurrency: opts.concurrency,
      llmConcurrency,
      workers,
      retryFailed: opts.retryFailed ?? false,
      ...(opts.maxCost !== undefined ? { maxCost: opts.maxCost } : {}),
      ...(opts.maxCalls !== undefined ? { maxCalls: opts.maxCalls } : {}),
      signal,
      observer: progress,
      onShared: (shared, file) => progress.attach(file, () => shared.budget!.run),
      ...(live ? { live } : {}),
    }),
  );
}
