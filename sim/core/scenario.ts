import type { Command } from "commander";
import type { z } from "zod";
import type { EventInput, MindInfo, TimeCoordinate, TimeCoords } from "./events.js";
import type { GraphConfig } from "./graph/config.js";
import type { SocialGraph } from "./graph/social.js";
import type {
  ActRequest,
  MindCallRequest,
  MindSpec,
  PolicyRegistry,
  ResponseStore,
} from "./minds.js";
import type { Profile } from "./profile.js";
import type { Rng } from "./rng.js";
import type { Totals } from "./spend.js";

/**
 * What a scenario sees of the engine. Emitted events are sequenced by the engine; inside
 * `parallel`, each branch gets its own context whose events are flushed in branch order.
 */
export interface StepContext<Config = unknown> {
  readonly config: Config;
  readonly graph: SocialGraph;
  readonly generation: number;
  /** The directory relative paths in the config resolve against (the config file's). */
  readonly baseDir: string;
  /** LLM use of this generation so far (calls, tokens, priced cost), for per-item cost metrics. */
  spend(): Totals;
  /** A seeded stream for this run, derived from the run seed and the given path. */
  rng(...path: (string | number)[]): Rng;
  emit(event: EventInput): void;
  /**
   * Asks an agent's mind (LLM or policy); events of the call are emitted on this context. Null when
   * an LLM gave no answer that can be data (the prompt did not fit its context): count it as
   * unusable.
   */
  ask(request: Omit<MindCallRequest, "t"> & { t?: Partial<TimeCoords> }): Promise<string | null>;
  /**
   * A policy mind's answer as the value the scenario would read from its text, without a prompt or
   * a call (the fast path); null when the scenario must `ask` instead (LLM minds, policies without
   * `act`, `policyPath: text`). Ask here first and build the prompt only on null.
   */
  act<T>(request: ActRequest): { value: T } | null;
  /** How events should name a mind: kind, profile or policy, and the model behind a profile. */
  mindInfo(mind: MindSpec): MindInfo;
  /**
   * A resolved model profile by name (context window, embeddings endpoint...); it holds no secrets.
   */
  profile(name: string): Profile | undefined;
  /**
   * The run's response cache, for model calls a scenario makes outside minds (embeddings), so
   * replays stay offline.
   */
  readonly cache: ResponseStore;
  /** Runs independent actions concurrently; their events keep the order of `items`. */
  parallel<T, R>(
    items: readonly T[],
    fn: (item: T, ctx: StepContext<Config>, index: number) => Promise<R>,
  ): Promise<R[]>;
}

export interface InitialAgent {
  id: string;
  mind: MindSpec;
}

export interface StepDef {
  name: string;
  t: Partial<TimeCoords>;
}

export interface GenerationOutcome<Pop> {
  population: Pop;
  metrics: Record<string, number | null>;
  /**
   * Per-agent rows for agents.jsonl (scores, lineage), each with an `agentId`; the engine adds the
   * agent's LLM spend.
   */
  agentRows: Record<string, unknown>[];
  survivors: string[];
  removed: string[];
  created: string[];
  scores: Record<string, number>;
}

/**
 * A scenario in Mesa's spirit: the engine knows nothing of donations or debates. `Pop` is the
 * population carried across generations and must be JSON (it is what a checkpoint saves);
 * `Work` is a generation's scratch state.
 */
export interface Scenario<Config, Pop, Work> {
  readonly id: string;
  /** The schema of the scenario's own config section. */
  readonly configSchema: z.ZodType<Config>;
  /** The key of that section in the config file. */
  readonly configKey: string;
  readonly policies: PolicyRegistry;
  /**
   * The answer length a profile without `maxTokens` gets in this scenario: no call is unbounded,
   * since a model that never stops would otherwise run to the end of its context on every call.
   */
  readonly defaultMaxTokens: number;
  /**
   * Generation metrics that count unusable answers and fallbacks: the progress line and the
   * end-of-run summary name each one that is not zero.
   */
  readonly unusableCounts: readonly string[];
  /**
   * The time coordinates below the generation the scenario's events carry in `t`, outermost first
   * (Donor Game: game, then round). Readers (viewer, analysis) learn them from run-started.
   */
  readonly time: readonly TimeCoordinate[];
  /** The interaction kinds the scenario emits, each with a short description. */
  readonly interactions: Readonly<Record<string, string>>;
  /**
   * CLI subcommands the scenario adds under `agora import` and `agora export` (other tools'
   * formats).
   */
  readonly commands?: ScenarioCommands;
  /** Checks that need the whole config (e.g. population size); throws a ConfigError. */
  check?(
    config: {
      population: { size: number };
      generations: number;
      profiles?: Record<string, unknown>;
      graph: GraphConfig;
    },
    section: Config,
  ): void;
  /**
   * The first generation's population from the agents the engine assigned minds to (no calls yet).
   */
  createPopulation(agents: readonly InitialAgent[], ctx: StepContext<Config>): Pop;
  beginGeneration(population: Pop, ctx: StepContext<Config>): { work: Work; steps: StepDef[] };
  runStep(population: Pop, work: Work, step: StepDef, ctx: StepContext<Config>): Promise<void>;
  /**
   * Scores, selection and reproduction; `last` is true after the final generation (no
   * reproduction).
   * Newborns are named here; whatever they need to ask their minds happens in the next generation's
   * steps.
   */
  endGeneration(
    population: Pop,
    work: Work,
    ctx: StepContext<Config>,
    last: boolean,
  ): GenerationOutcome<Pop>;
}

export type AnyScenario = Scenario<any, any, any>;

/** Adds a scenario's subcommands to the CLI's `import` and `export` commands. */
export type ScenarioCommands = (cli: { importCommand: Command; exportCommand: Command }) => void;

/** What a scenario author writes: a Scenario whose LLM defaults may be left out. */
export type ScenarioDefinition<Config, Pop, Work> = Omit<
  Scenario<Config, Pop, Work>,
  "defaultMaxTokens" | "unusableCounts" | "time" | "interactions"
> &
  Partial<
    Pick<
      Scenario<Config, Pop, Work>,
      "defaultMaxTokens" | "unusableCounts" | "time" | "interactions"
    >
  >;

const SCENARIO_ID = /^[a-z][a-z0-9-]*$/;
const COORDINATE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Declares a scenario: the module's default export, found by the CLI, batch, workers and viewer
 * from a config's `scenario:` (a built-in id, a module path or a package name). Checks the
 * definition's shape at once, so a plugin's mistake is reported where it is made.
 */
export function defineScenario<Config, Pop, Work>(
  definition: ScenarioDefinition<Config, Pop, Work>,
): Scenario<Config, Pop, Work> {
  const problem = scenarioProblem(definition);
  if (problem) throw new Error(`defineScenario: ${problem}`);
  return { defaultMaxTokens: 1024, unusableCounts: [], time: [], interactions: {}, ...definition };
}

/** Why `value` is not a scenario definition, or null when it is one. */
export function scenarioProblem(value: unknown): string | null {
  const s = value as Partial<Record<keyof AnyScenario, unknown>> | null;
  if (s === null || typeof s !== "object") return "not an object";
  if (typeof s.id !== "string" || !SCENARIO_ID.test(s.id))
    return `id ${JSON.stringify(s.id)} is not lowercase letters, digits and dashes`;
  if (typeof s.configKey !== "string" || s.configKey === "")
    return `${s.id}: configKey must name the config section`;
  if (typeof (s.configSchema as { safeParse?: unknown } | undefined)?.safeParse !== "function")
    return `${s.id}: configSchema must be a zod schema`;
  if (s.policies === null || typeof s.policies !== "object")
    return `${s.id}: policies must be an object (may be empty)`;
  for (const fn of ["createPopulation", "beginGeneration", "runStep", "endGeneration"] as const) {
    if (typeof s[fn] !== "function") return `${s.id}: ${fn} must be a function`;
  }
  if (
    s.defaultMaxTokens !== undefined &&
    !(Number.isInteger(s.defaultMaxTokens) && (s.defaultMaxTokens as number) > 0)
  )
    return `${s.id}: defaultMaxTokens must be a positive integer`;
  if (s.unusableCounts !== undefined && !Array.isArray(s.unusableCounts))
    return `${s.id}: unusableCounts must be a list of metric names`;
  if (s.time !== undefined) {
    if (!Array.isArray(s.time)) return `${s.id}: time must be a list of { key, label } coordinates`;
    const seen = new Set<string>();
    for (const c of s.time as unknown[]) {
      const { key, label } = (c ?? {}) as { key?: unknown; label?: unknown };
      if (typeof key !== "string" || !COORDINATE_KEY.test(key))
        return `${s.id}: time coordinate key ${JSON.stringify(key)} is not an identifier`;
      if (key === "generation")
        return `${s.id}: time coordinate "generation" is the engine's; declare only the coordinates below it`;
      if (seen.has(key)) return `${s.id}: time coordinate "${key}" is declared twice`;
      if (typeof label !== "string" || label === "")
        return `${s.id}: time coordinate "${key}" needs a label`;
      seen.add(key);
    }
  }
  if (s.interactions !== undefined) {
    if (
      s.interactions === null ||
      typeof s.interactions !== "object" ||
      Array.isArray(s.interactions)
    )
      return `${s.id}: interactions must be a record of kind -> description`;
    for (const [kind, description] of Object.entries(s.interactions)) {
      if (kind === "" || typeof description !== "string")
        return `${s.id}: interaction kind ${JSON.stringify(kind)} needs a description (a string)`;
    }
  }
  return null;
}
