/**
 * The `agora` command line. Only commander and the flag parsers load up front: every command
 * imports what it needs inside its action, so `agora --version` and `agora validate` start without
 * the server (socket.io), the LLM runtime (LangChain), DuckDB or BullMQ.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command, Option } from "commander";
import type { Overrides } from "../../core/config.js";
import type { EngineHooks } from "../../core/engine.js";
import { ConfigError } from "../../core/errors.js";
import type { Manifest } from "../../core/recorder.js";
import type { RunStatus } from "../../core/events.js";
import type { AnyScenario } from "../../core/scenario.js";
import type { RunHandle, RunOptions, RunResult } from "../run.js";
import type { AgoraServer, LiveRun } from "../server/index.js";
import { AGORA_VERSION } from "../../core/version.js";
import { registerReport } from "./report.js";
import { registerBatch } from "./batch.js";
import { registerImportExport } from "./import-export.js";
import { registerWorker } from "./worker.js";
import {
  errorResult,
  outputMode,
  progressStream,
  result,
  setOutputMode,
  status,
  withOutputFlags,
} from "./output.js";
import {
  nonEmpty,
  port,
  positive,
  requireServe,
  seed,
  speed,
  untilSignal,
  UsageError,
  withServerFlags,
  type ServeFlags,
} from "./server-flags.js";

interface RunFlags {
  seed?: number;
  out?: string;
  model?: string;
  maxCost?: number;
  maxCalls?: number;
  cache?: Overrides["cacheMode"];
  serve?: boolean;
  port?: number;
  host?: string;
  token?: string;
  exitWhenDone?: boolean;
  speed?: number;
  compress?: boolean;
}

/** Documented in the README: scripts and batch runners rely on them. */
export const EXIT = {
  completed: 0,
  failed: 1,
  usage: 2,
  "budget-exhausted": 3,
  interrupted: 130,
} as const;

const exitFor = (status: RunStatus): number =>
  status === "completed"
    ? EXIT.completed
    : status === "budget-exhausted"
      ? EXIT["budget-exhausted"]
      : status === "interrupted"
        ? EXIT.interrupted
        : EXIT.failed;

async function serve(
  options: ServeFlags & { runsDir: string; live?: LiveRun },
): Promise<AgoraServer> {
  const { startServer } = await import("../server/index.js");
  const server = await startServer({
    runsDir: options.runsDir,
    ...(options.live ? { live: options.live } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  status(`viewer: ${server.url}`);
  return server;
}

/** What a caller adds to a run: its own hooks, start callback and abort controller. */
interface RunExtras {
  abort?: AbortController;
  hooks?: EngineHooks;
  onStart?: (handle: RunHandle) => void;
}

async function execute(
  go: (options: RunOptions) => Promise<RunResult>,
  generations: () => number,
  extras: RunExtras = {},
): Promise<{ code: number; status: RunStatus }> {
  const [{ Progress }, { runResult }] = await Promise.all([
    import("./progress.js"),
    import("./run-result.js"),
  ]);
  const progress = new Progress(progressStream(), generations());
  let unusableCounts: readonly string[] = [];
  const abort = extras.abort ?? new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    progress.line(
      "interrupt: stopping after the current step (Ctrl-C again to quit at once; `agora resume` continues later)",
    );
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const run = await go({
      signal: abort.signal,
      onStart: (handle) => {
        unusableCounts = handle.loaded.scenario.unusableCounts;
        progress.start(handle);
        extras.onStart?.(handle);
      },
      hooks: {
        ...extras.hooks,
        onGenerationEnd: (info) => {
          progress.generationDone(info.generation, info.metrics);
          extras.hooks?.onGenerationEnd?.(info);
        },
      },
      onRetry: ({ agentId, profile, attempt, error, waitMs }) =>
        progress.line(
          `retry ${attempt} for ${agentId} (${profile}) in ${Math.round(waitMs)} ms: ${(error as Error).message?.split("\n")[0]}`,
        ),
    });
    progress.stop();
    const code = exitFor(run.status);
    const { human, json } = runResult(run, unusableCounts, code);
    result(human, json);
    return { code, status: run.status };
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function buildProgram(scenarios: readonly AnyScenario[] = []): Command {
  const program = new Command("agora")
    .description("Agora: cultural-evolution experiments with societies of LLM agents")
    .version(AGORA_VERSION)
    .showHelpAfterError()
    .exitOverride();

  const run = program
    .command("run")
    .description("run a config and record it to a run directory")
    .argument("<config>", "YAML config file")
    .option("--seed <n>", "override the config's seed (an integer >= 0)", seed)
    .option("--out <dir>", "run directory (default runs/<scenario>-s<seed>-<time>)")
    .option("--model <profile>", "use this profile for every LLM mind")
    .option(
      "--max-cost <usd>",
      "stop cleanly once priced cost reaches this many USD",
      positive("--max-cost", false),
    )
    .option(
      "--max-calls <n>",
      "stop cleanly after this many LLM calls",
      positive("--max-calls", true),
    )
    .addOption(
      new Option("--cache <mode>", "response cache mode").choices(["off", "read-write", "replay"]),
    )
    .option("--serve", "stream the run to the browser viewer (and serve the other runs beside it)")
    .option("--compress", "write the event log gzip-compressed (events.jsonl.gz)");
  withServerFlags(run, "run").option(
    "--speed <steps>",
    "at most this many engine steps per second (0 = unlimited)",
    speed,
  );
  withOutputFlags(run, true).action(async (configPath: string, opts: RunFlags) => {
    const overrides: Overrides = {
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.model !== undefined ? { model: opts.model } : {}),
      ...(opts.maxCost !== undefined ? { maxCost: opts.maxCost } : {}),
      ...(opts.maxCalls !== undefined ? { maxCalls: opts.maxCalls } : {}),
      ...(opts.cache !== undefined ? { cacheMode: opts.cache } : {}),
    };
    requireServe(opts);
    if (opts.compress && opts.serve)
      throw new UsageError(
        "--compress with --serve: the live viewer follows a plain events.jsonl as it grows; drop one (`agora serve --runs PARENT` shows a compressed run once it has ended)",
      );
    const [config, scenarios, { StepGate }, { defaultRunDir, startRun }] = await Promise.all([
      import("../../core/config.js"),
      import("../scenarios.js"),
      import("../control.js"),
      import("../run.js"),
    ]);
    const { readConfigFile, resolveConfig } = config;
    const { preloadScenario, scenarioLookup } = scenarios;
    const raw = readConfigFile(configPath);
    const configDir = dirname(resolve(configPath));
    await preloadScenario(raw, configDir);
    const loaded = resolveConfig(raw, scenarioLookup(configDir), overrides, configDir);
    const out = resolve(opts.out ?? defaultRunDir(loaded));
    const abort = new AbortController();
    const gate = new StepGate({ speed: opts.speed ?? 0 });
    const go = (options: RunOptions) =>
      startRun(configPath, { ...options, overrides, out, compress: opts.compress ?? false });
    if (!opts.serve) {
      const hooks: EngineHooks = opts.speed ? { beforeStep: () => gate.wait(abort.signal) } : {};
      process.exitCode = (
        await execute(go, () => loaded.config.generations, { abort, hooks })
      ).code;
      return;
    }
    // The live run and the runs recorded beside it (its parent directory) in the run picker.
    const { LiveRun } = await import("../server/index.js");
    const live = new LiveRun({
      dir: out,
      scenario: loaded.scenario.id,
      gate,
      signal: abort.signal,
    });
    const server = await serve({ ...opts, runsDir: dirname(out), live });
    let outcome: { code: number; status: RunStatus };
    try {
      outcome = await execute(go, () => loaded.config.generations, {
        abort,
        hooks: live.hooks,
        onStart: live.onStart,
      });
    } catch (error) {
      live.fail();
      await server.close();
      throw error;
    }
    live.finish({ status: outcome.status });
    process.exitCode = outcome.code;
    if (opts.exitWhenDone || abort.signal.aborted) {
      // Let connected viewers receive the end of the run first.
      await server.settle(2000);
    } else {
      status(`run ended (${outcome.status}); still serving ${server.url} (Ctrl-C to stop)`);
      await untilSignal();
    }
    await server.close();
  });

  const serveCommand = program
    .command("serve")
    .description("serve recorded runs to the browser viewer")
    .option("--runs <dir>", "directory holding run directories", "runs")
    .option("--port <n>", "port (default 7420; 0 = any free port)", port)
    .option("--host <host>", "address to listen on (default 127.0.0.1)", nonEmpty("--host"))
    .option(
      "--token <token>",
      "require this token from the viewer and API clients",
      nonEmpty("--token"),
    );
  withOutputFlags(serveCommand, false).action(async (opts: ServeFlags & { runs: string }) => {
    const runsDir = resolve(opts.runs);
    if (!existsSync(runsDir) || !statSync(runsDir).isDirectory())
      throw new UsageError(`--runs: ${runsDir} is not a directory`);
    const server = await serve({ ...opts, runsDir });
    status(`serving the runs in ${runsDir} (Ctrl-C to stop)`);
    await untilSignal();
    await server.close();
  });

  const resume = program
    .command("resume")
    .description("continue an interrupted run from its last completed generation")
    .argument("<run-dir>", "run directory")
    .option(
      "--repair",
      "rebuild missing or damaged metrics.jsonl and agents.jsonl from events.jsonl",
    );
  withOutputFlags(resume, true).action(async (dir: string, opts: { repair?: boolean }) => {
    const [{ readResumableManifest }, { resumeRun }] = await Promise.all([
      import("../resume-check.js"),
      import("../run.js"),
    ]);
    // Checked before anything is read further: a directory resume refuses is left as it was.
    const manifest = readResumableManifest(resolve(dir));
    if (manifest.status === "completed") {
      const json = outputMode().json
        ? await completedRunJson(dir, manifest as unknown as Manifest)
        : () => ({});
      result(`${dir}: already completed, nothing to do\n`, json);
      return;
    }
    process.exitCode = (
      await execute(
        (options) => resumeRun(dir, { ...options, repair: opts.repair === true, manifest }),
        () => (manifest.config as { generations: number }).generations,
      )
    ).code;
  });

  const validate = program
    .command("validate")
    .description("check a config and print it resolved, with every default filled in")
    .argument("<config>", "YAML config file");
  withOutputFlags(validate, true).action(async (configPath: string) => {
    const [config, scenarios, { firstGeneration, socialGraph }] = await Promise.all([
      import("../../core/config.js"),
      import("../scenarios.js"),
      import("../population.js"),
    ]);
    const { readConfigFile, resolveConfig } = config;
    const { preloadScenario, scenarioLookup } = scenarios;
    let loaded: ReturnType<typeof resolveConfig>;
    try {
      const raw = readConfigFile(configPath);
      const configDir = dirname(resolve(configPath));
      await preloadScenario(raw, configDir);
      loaded = resolveConfig(raw, scenarioLookup(configDir), {}, configDir);
      // Building the graph catches what only the population size reveals (a grid that does not
      // fit).
      socialGraph(loaded, firstGeneration(loaded));
    } catch (error) {
      const { message, code } = failure(error);
      if (code === EXIT.usage) {
        const errors = [message];
        result("", () => ({ valid: false, config: configPath, errors, exitCode: code }));
      }
      throw error;
    }
    const resolved = { configHash: loaded.hash, config: loaded.config };
    result(
      `${JSON.stringify(resolved, null, 2)}\n` +
        `valid: ${configPath} (${loaded.scenario.id}, ${loaded.minds.length} agents)\n`,
      () => ({
        valid: true,
        config: configPath,
        scenario: loaded.scenario.id,
        configHash: loaded.hash,
        agents: loaded.minds.length,
        generations: loaded.config.generations,
        seed: loaded.config.seed,
        resolved: loaded.config,
      }),
    );
  });

  registerReport(program);
  registerBatch(program);
  registerImportExport(program, scenarios);
  registerWorker(program);
  program.hook("preAction", (_program, command) => {
    const opts = command.opts<{ json?: boolean; quiet?: boolean }>();
    setOutputMode({ json: opts.json === true, quiet: opts.quiet === true });
  });
  return program;
}

/** The --json document of a run that `resume` leaves alone, as `run --json` printed it. */
async function completedRunJson(dir: string, manifest: Manifest): Promise<() => unknown> {
  const [{ loadScenario }, { runResult }] = await Promise.all([
    import("../scenarios.js"),
    import("./run-result.js"),
  ]);
  // The unusable counts are the scenario's, found as `resume` would find it; a run without a
  // recorded source (an imported one) names a built-in scenario by its id.
  const { source } = manifest as Manifest & {
    source?: { raw: { scenario: string }; configDir: string };
  };
  const scenario = await loadScenario(
    source?.raw.scenario ?? manifest.scenario,
    source?.configDir ?? resolve(dir),
  );
  const run = { dir: resolve(dir), status: manifest.status, manifest };
  return runResult(run, scenario.unusableCounts, EXIT.completed).json;
}

/**
 * How an error ends a command (docs/cli.md, "Exit codes"): the line for stderr (commander prints
 * its own), the bare message, and the exit code.
 */
function failure(error: unknown): { line: string; message: string; code: number } {
  const e = error as { code?: string; exitCode?: number; message?: string };
  const message = e.message ?? String(error);
  // Commander exits 0 after help or the version it was asked for; anything else is a usage error.
  if (e.code?.startsWith("commander."))
    return {
      line: "",
      message: message.replace(/^error: /, ""),
      code: e.exitCode ? EXIT.usage : 0,
    };
  if (error instanceof ConfigError)
    return { line: `config error: ${message}\n`, message, code: EXIT.usage };
  // A missing file named on the command line is a usage error like a bad flag.
  const usage = error instanceof UsageError || e.code === "ENOENT";
  return { line: `error: ${message}\n`, message, code: usage ? EXIT.usage : EXIT.failed };
}

/** Whether the command line asks for --json (before a `--`), also when commander rejects it. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

export async function main(argv: string[]): Promise<number> {
  try {
    // Scenarios add the import/export formats; loaded only for those commands (and help).
    const needsScenarios =
      argv.length === 0 || ["import", "export", "help", "--help", "-h"].includes(argv[0]!);
    const { builtinScenarios } = needsScenarios ? await import("../scenarios.js") : {};
    const scenarios = builtinScenarios ? Object.values(await builtinScenarios()) : [];
    await buildProgram(scenarios).parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    const { line, message, code } = failure(error);
    process.stderr.write(line);
    if (wantsJson(argv)) setOutputMode({ ...outputMode(), json: true });
    if (code !== 0) errorResult(message, code);
    return code;
  }
}

process.exitCode = await main(process.argv.slice(2));
