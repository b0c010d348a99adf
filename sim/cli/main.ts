import { dirname, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { SCENARIOS } from "../../scenarios/index.js";
import { readConfigFile, resolveConfig, type Overrides } from "../config.js";
import { ConfigError } from "../errors.js";
import type { RunStatus } from "../events.js";
import { readManifest } from "../recorder.js";
import { firstGeneration, resumeRun, socialGraph, startRun, type RunOptions, type RunResult } from "../run.js";
import { AGORA_VERSION } from "../version.js";
import { Progress } from "./progress.js";

/** Documented in the README: scripts and batch runners rely on them. */
export const EXIT = { completed: 0, failed: 1, usage: 2, "budget-exhausted": 3, interrupted: 130 } as const;

const exitFor = (status: RunStatus): number =>
  status === "completed" ? EXIT.completed : status === "budget-exhausted" ? EXIT["budget-exhausted"] : status === "interrupted" ? EXIT.interrupted : EXIT.failed;

function number(flag: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag}: got "${value}", expected ${integer ? "an integer" : "a number"}`);
    }
    if (flag !== "--seed" && n <= 0) throw new InvalidArgumentError(`${flag}: got "${value}", expected a positive number`);
    return n;
  };
}

async function execute(go: (options: RunOptions) => Promise<RunResult>, generations: () => number): Promise<number> {
  const progress = new Progress(process.stdout, generations());
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    progress.line("interrupt: stopping after the current step (Ctrl-C again to quit at once; `agora resume` continues later)");
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await go({
      signal: abort.signal,
      onStart: (handle) => progress.start(handle),
      hooks: { onGenerationEnd: ({ generation, metrics }) => progress.generationDone(generation, metrics) },
      onRetry: ({ agentId, profile, attempt, error, waitMs }) =>
        progress.line(`retry ${attempt} for ${agentId} (${profile}) in ${Math.round(waitMs)} ms: ${(error as Error).message?.split("\n")[0]}`),
    });
    progress.stop();
    const m = result.manifest;
    process.stdout.write(
      `${result.status}: ${m.generationsCompleted} generation(s), ${m.totals.calls ?? 0} LLM call(s), cache ${m.cache.hits} hit(s) / ${m.cache.misses} miss(es)\n` +
        (result.error ? `error: ${result.error}\n` : "") +
        `run directory: ${result.dir}\n`,
    );
    return exitFor(result.status);
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function buildProgram(): Command {
  const program = new Command("agora")
    .description("Agora: cultural-evolution experiments with societies of LLM agents")
    .version(AGORA_VERSION)
    .showHelpAfterError()
    .exitOverride();

  program
    .command("run")
    .description("run a config and record it to a run directory")
    .argument("<config>", "YAML config file")
    .option("--seed <n>", "override the config's seed", number("--seed", true))
    .option("--out <dir>", "run directory (default runs/<scenario>-s<seed>-<time>)")
    .option("--model <profile>", "use this profile for every LLM mind")
    .option("--max-cost <usd>", "stop cleanly once priced cost reaches this many USD", number("--max-cost", false))
    .option("--max-calls <n>", "stop cleanly after this many LLM calls", number("--max-calls", true))
    .addOption(new Option("--cache <mode>", "response cache mode").choices(["off", "read-write", "replay"]))
    .action(async (configPath: string, opts: { seed?: number; out?: string; model?: string; maxCost?: number; maxCalls?: number; cache?: Overrides["cacheMode"] }) => {
      const overrides: Overrides = {
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.model !== undefined ? { model: opts.model } : {}),
        ...(opts.maxCost !== undefined ? { maxCost: opts.maxCost } : {}),
        ...(opts.maxCalls !== undefined ? { maxCalls: opts.maxCalls } : {}),
        ...(opts.cache !== undefined ? { cacheMode: opts.cache } : {}),
      };
      const loaded = resolveConfig(readConfigFile(configPath), SCENARIOS, overrides);
      process.exitCode = await execute(
        (options) => startRun(configPath, { ...options, overrides, ...(opts.out ? { out: opts.out } : {}) }),
        () => loaded.config.generations,
      );
    });

  program
    .command("resume")
    .description("continue an interrupted run from its last completed generation")
    .argument("<run-dir>", "run directory")
    .action(async (dir: string) => {
      const manifest = readManifest(dir);
      if (manifest.status === "completed") {
        process.stdout.write(`${dir}: already completed, nothing to do\n`);
        return;
      }
      process.exitCode = await execute((options) => resumeRun(dir, options), () => (manifest.config as { generations: number }).generations);
    });

  program
    .command("validate")
    .description("check a config and print it resolved, with every default filled in")
    .argument("<config>", "YAML config file")
    .action((configPath: string) => {
      const loaded = resolveConfig(readConfigFile(configPath), SCENARIOS, {}, dirname(resolve(configPath)));
      // Building the graph catches what only the population size reveals (a grid that does not fit).
      socialGraph(loaded, firstGeneration(loaded));
      process.stdout.write(`${JSON.stringify({ configHash: loaded.hash, config: loaded.config }, null, 2)}\n`);
      process.stdout.write(`valid: ${configPath} (${loaded.scenario.id}, ${loaded.minds.length} agents)\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (e.code?.startsWith("commander.")) {
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? 0 : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`config error: ${error.message}\n`);
      return EXIT.usage;
    }
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      process.stderr.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${e.message ?? String(error)}\n`);
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));
