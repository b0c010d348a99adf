import { isAbsolute, dirname, resolve } from "node:path";
import pLimit from "p-limit";
import { Ledger } from "../../agents/ledger.js";
import { MindRuntime, type SharedCallResources, type StandIn } from "../../agents/mind-runtime.js";
import { publicEndpoint } from "../../agents/profiles.js";
import { LocalRateLimiter, rateLimitsOf } from "../../agents/rate-limit.js";
import { ResponseCache } from "../../agents/response-cache.js";
import { preloadScenario, scenarioLookup } from "./scenarios.js";
import {
  experimentConfig,
  resolveConfig,
  readConfigFile,
  type LoadedConfig,
  type Overrides,
} from "../core/config.js";
import { Engine, InterruptedError, type EngineHooks } from "../core/engine.js";
import type { RunStatus } from "../core/events.js";
import { compactGraph } from "../core/graph/compact.js";
import { graphStats } from "../core/graph/index.js";
import { RunRecorder, writeTables, type Manifest } from "../core/recorder.js";
import { emptyTotals } from "../core/spend.js";
import { AGORA_VERSION, gitCommit } from "../core/version.js";
import { firstGeneration, socialGraph } from "./population.js";
import {
  checkRecordedConfig,
  checkResumable,
  readResumableManifest,
  type ResumableManifest,
  type ResumePlan,
  type SourceRecord,
} from "./resume-check.js";

export interface RunOptions {
  /** The run directory (default runs/<scenario>-<seed>-<time>). */
  out?: string;
  overrides?: Overrides;
  hooks?: EngineHooks;
  env?: NodeJS.ProcessEnv;
  /** Aborting stops the run between steps with status "interrupted". */
  signal?: AbortSignal;
  onRetry?: ConstructorParameters<typeof MindRuntime>[0]["onRetry"];
  /** Called once the run is set up, for progress displays. */
  onStart?: (handle: RunHandle) => void;
  /**
   * What the runs of a batch share: LLM concurrency, rate limits, budget (sim/app/batch/shared.ts).
   */
  shared?: SharedCallResources;
  /**
   * Dry runs (sim/app/batch/dry-run.ts): a policy answers for every LLM mind; nothing is sent or
   * cached.
   */
  standIn?: StandIn;
  /** Write events.jsonl.gz instead of events.jsonl (a resume keeps the run's own kind of log). */
  compress?: boolean;
}

export interface RunHandle {
  dir: string;
  engine: Engine;
  ledger: Ledger;
  minds: MindRuntime;
  loaded: LoadedConfig;
}

export interface RunResult {
  dir: string;
  status: RunStatus;
  error?: string;
  manifest: Manifest;
}

/** The run directory used without `out`: runs/<scenario>-s<seed>-<time>, absolute. */
export function defaultRunDir(loaded: LoadedConfig, now = new Date()): string {
  return resolve(
    `runs/${loaded.scenario.id}-s${loaded.config.seed}-${now.toISOString().replace(/[:.]/g, "-")}`,
  );
}

/** Runs a config file from the start into a new run directory. */
export async function startRun(configPath: string, options: RunOptions = {}): Promise<RunResult> {
  return startRunFrom(readConfigFile(configPath), dirname(resolve(configPath)), options);
}

/**
 * Runs a raw (parsed, not yet validated) config whose relative paths resolve against `configDir`.
 */
export async function startRunFrom(
  raw: unknown,
  configDir: string,
  options: RunOptions = {},
): Promise<RunResult> {
  await preloadScenario(raw, configDir);
  const loaded = resolveConfig(raw, scenarioLookup(configDir), options.overrides, configDir);
  const dir = resolve(options.out ?? defaultRunDir(loaded));
  return execute(
    loaded,
    { raw, overrides: options.overrides ?? {}, configDir },
    dir,
    options,
    null,
  );
}

/**
 * Continues an interrupted run from its last completed generation. With the LLM cache holding
 * the calls already made, the result equals an uninterrupted run's. The directory is checked
 * first (sim/app/resume-check.ts): one resume cannot trust is refused with a RunDirectoryError
 * and left as it was. `repair` lets a resume rebuild missing or damaged metrics.jsonl and
 * agents.jsonl from events.jsonl.
 */
export async function resumeRun(
  dir: string,
  options: RunOptions & {
    repair?: boolean;
    /** The directory's manifest, when the caller has read it with readResumableManifest. */
    manifest?: ResumableManifest;
  } = {},
): Promise<RunResult> {
  const runDir = resolve(dir);
  const manifest = options.manifest ?? readResumableManifest(runDir);
  if (manifest.status === "completed") return { dir: runDir, status: manifest.status, manifest };
  const { source } = manifest;
  await preloadScenario(source.raw, source.configDir);
  const loaded = checkRecordedConfig(runDir, manifest, () =>
    resolveConfig(source.raw, scenarioLookup(source.configDir), source.overrides, source.configDir),
  );
  const plan = checkResumable(runDir, manifest, loaded, options.repair);
  return execute(loaded, source, runDir, options, { manifest, plan });
}

async function execute(
  loaded: LoadedConfig,
  source: SourceRecord,
  dir: string,
  options: RunOptions,
  resumed: { manifest: ResumableManifest; plan: ResumePlan } | null,
): Promise<RunResult> {
  const previous = resumed?.manifest;
  const { config, scenario, minds: mindSpecs, profiles } = loaded;
  const agents = firstGeneration(loaded);
  const graph = socialGraph(loaded, agents);
  const stats = graphStats(graph);

  // A relative cache dir is resolved once, against the working directory of the first start; a
  // resume reuses that absolute path wherever it is started from.
  const cacheDir =
    previous?.cache.dir ??
    (isAbsolute(config.cache.dir) ? config.cache.dir : resolve(config.cache.dir));
  const cache = new ResponseCache(cacheDir, config.cache.mode);
  const ledger = new Ledger(config.budget);
  const minds = new MindRuntime({
    profiles,
    policies: scenario.policies,
    cache,
    ledger,
    maxConcurrency: config.llm.maxConcurrency,
    runSeed: config.seed,
    transcripts: config.llm.transcripts,
    policyPath: config.policyPath,
    sampleSharing: config.llm.sampleSharing,
    ...(options.env ? { env: options.env } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.shared
      ? { shared: options.shared }
      : singleRunLimits(profiles, config.llm.maxConcurrency)),
    ...(options.standIn ? { standIn: options.standIn } : {}),
  });

  const checkpoint = resumed?.plan.checkpoint ?? null;
  if (resumed?.plan.rebuildTables) writeTables(dir, resumed.plan.rebuildTables);
  const recorder = checkpoint
    ? RunRecorder.reopen(dir, resumed!.plan.keep)
    : RunRecorder.create(dir, { compress: options.compress ?? false });
  if (checkpoint) ledger.restore(checkpoint.totals);
  const priorCache = { hits: 0, misses: 0, corrupt: 0, ...checkpoint?.cache };

  const manifest: Manifest & { source: SourceRecord } = {
    runId: previous?.runId ?? dir.split(/[\\/]/).pop()!,
    scenario: scenario.id,
    status: "running",
    seed: config.seed,
    configHash: loaded.hash,
    config,
    source,
    agoraVersion: AGORA_VERSION,
    gitCommit: gitCommit(),
    node: process.version,
    minds: summariseMinds(mindSpecs, profiles),
    graphStats: { ...stats },
    startedAt: previous?.startedAt ?? new Date().toISOString(),
    endedAt: null,
    generationsCompleted: checkpoint?.generation ?? 0,
    totals: { ...(checkpoint?.totals ?? emptyTotals()) },
    cache: { mode: cache.mode, dir: cacheDir, ...priorCache },
    resumes: [
      ...(previous?.resumes ?? []),
      ...(previous
        ? [{ at: new Date().toISOString(), fromGeneration: (checkpoint?.generation ?? 0) + 1 }]
        : []),
    ],
  };
  const cacheCounts = () => ({
    hits: priorCache.hits + cache.hits,
    misses: priorCache.misses + cache.misses,
    corrupt: priorCache.corrupt + cache.corrupt,
  });
  const refreshManifest = (patch: Partial<Manifest> = {}) => {
    Object.assign(manifest, patch, {
      totals: { ...ledger.run },
      cache: { ...manifest.cache, ...cacheCounts() },
    });
    recorder.writeManifest(manifest);
  };
  refreshManifest();

  const userHooks = options.hooks ?? {};
  const engine: Engine = new Engine({
    scenario,
    config,
    scenarioConfig: config[scenario.configKey],
    seed: config.seed,
    graph,
    baseDir: loaded.baseDir,
    minds,
    hooks: {
      onEvents: (events) => {
        recorder.appendEvents(events);
        userHooks.onEvents?.(events);
      },
      beforeStep: async (step, generation) => {
        if (options.signal?.aborted) throw new InterruptedError();
        await userHooks.beforeStep?.(step, generation);
      },
      onGenerationEnd: (info) => {
        recorder.writeCheckpoint({
          version: 1,
          generation: info.generation,
          nextSeq: info.nextSeq,
          population: info.population,
          totals: { ...ledger.run },
          cache: cacheCounts(),
        });
        refreshManifest({ generationsCompleted: info.generation });
        userHooks.onGenerationEnd?.(info);
      },
    },
  });
  options.onStart?.({ dir, engine, ledger, minds, loaded });

  if (!checkpoint) {
    engine.emit({
      type: "run-started",
      t: { generation: 1 },
      runId: manifest.runId,
      scenario: scenario.id,
      seed: config.seed,
      configHash: loaded.hash,
      config: experimentConfig(config),
      graph: compactGraph(graph),
      graphStats: { ...stats },
      agoraVersion: AGORA_VERSION,
      time: scenario.time.map((c) => ({ ...c })),
      interactions: { ...scenario.interactions },
    });
  }
  const from = checkpoint
    ? {
        generation: checkpoint.generation + 1,
        nextSeq: checkpoint.nextSeq,
        population: checkpoint.population,
      }
    : { generation: 1, nextSeq: engine.seq };
  const outcome = await engine.run(agents, from);
  refreshManifest({
    status: outcome.status,
    endedAt: new Date().toISOString(),
    ...(outcome.error ? { error: outcome.error } : {}),
  });
  recorder.close();
  return { dir, ...outcome, manifest };
}

/** A single run obeys its profiles' rpm/tpm too: as a batch of one, with its own limiter. */
function singleRunLimits(
  profiles: LoadedConfig["profiles"],
  maxConcurrency: number,
): { shared?: SharedCallResources } {
  const limits = rateLimitsOf(profiles);
  if (Object.keys(limits).length === 0) return {};
  return {
    shared: {
      limit: pLimit(maxConcurrency),
      rateLimiter: new LocalRateLimiter(limits),
      inflight: new Map(),
    },
  };
}

function summariseMinds(
  specs: LoadedConfig["minds"],
  profiles: LoadedConfig["profiles"],
): Manifest["minds"] {
  const groups = new Map<string, Manifest["minds"][number]>();
  for (const spec of specs) {
    const name = spec.kind === "llm" ? spec.profile : spec.policy;
    const key = `${spec.kind}:${name}`;
    const group = groups.get(key);
    if (group) {
      group.count++;
      continue;
    }
    if (spec.kind === "llm") {
      const profile = profiles[spec.profile]!;
      groups.set(key, {
        kind: "llm",
        name,
        count: 1,
        model: profile.model,
        endpoint: publicEndpoint(profile.baseURL),
        note: "LLM called through an OpenAI-compatible endpoint",
      });
    } else {
      groups.set(key, {
        kind: "policy",
        name,
        count: 1,
        note: "offline deterministic policy (not an LLM)",
      });
    }
  }
  return [...groups.values()];
}
