import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { stringify } from "safe-stable-stringify";
import { z } from "zod";
import type { MindSpec } from "./minds.js";
import { profileSchema, type Profile } from "./profile.js";
import { ConfigError, describeValue } from "./errors.js";
import { graphConfigSchema } from "./graph/index.js";
import { graphSizeProblem } from "./graph/config.js";
import { LIMITS } from "./limits.js";
import type { AnyScenario } from "./scenario.js";

/** `llm.maxConcurrency` when a config leaves it out (see the schema below and docs/config.md). */
export const DEFAULT_MAX_CONCURRENCY = 512;

// Loose for a policy's parameters beside it; resolveConfig refuses any other key beside an LLM
// mind.
const mindEntrySchema = z
  .object({
    count: z.number().int().min(1).max(LIMITS.populationSize),
    /** A named profile from `profiles`. */
    profile: z.string().min(1).optional(),
    /** An inline model profile. */
    llm: profileSchema.optional(),
    /** An offline policy of the scenario, with its parameters beside it. */
    policy: z.string().min(1).optional(),
  })
  .loose();

export const baseConfigSchema = z
  .object({
    scenario: z.string(),
    seed: z.number().int().default(0),
    generations: z.number().int().min(1).max(LIMITS.generations).default(10),
    population: z
      .object({
        size: z.number().int().min(2).max(LIMITS.populationSize),
        minds: z.array(mindEntrySchema).min(1),
      })
      .strict(),
    graph: graphConfigSchema.default({ type: "complete" }),
    /**
     * How policy minds answer: "fast" (from structured state, where a policy has `act`) or
     * "text" (a prompt and the policy's text answer, read by the scenario's parser, as an LLM's).
     * Both give the same run, so it is not part of the experiment (see experimentConfig).
     */
    policyPath: z.enum(["fast", "text"]).default("fast"),
    profiles: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.:-]+$/, "a profile name of letters, digits and _.:-"),
        profileSchema,
      )
      .default({}),
    llm: z
      .object({
        /**
         * Calls in flight at once. The default lets a round of a 100-question, 3-agent debate (300
         * independent calls) go together; pacing for a provider is the profiles' rpm/tpm, and a 429
         * is retried after its Retry-After.
         */
        maxConcurrency: z
          .number()
          .int()
          .min(1)
          .max(LIMITS.maxConcurrency)
          .default(DEFAULT_MAX_CONCURRENCY),
        /** Keep prompts and answers of LLM calls in events.jsonl. */
        transcripts: z.boolean().default(true),
        /**
         * Calls with identical messages share one answer, whoever asks (cost-saving pilots only):
         * by default every agent's call is its own sample.
         */
        sampleSharing: z.boolean().default(false),
      })
      .strict()
      .default({
        maxConcurrency: DEFAULT_MAX_CONCURRENCY,
        transcripts: true,
        sampleSharing: false,
      }),
    cache: z
      .object({
        mode: z.enum(["off", "read-write", "replay"]).default("read-write"),
        dir: z.string().default(".agora/cache"),
      })
      .strict()
      .default({ mode: "read-write", dir: ".agora/cache" }),
    budget: z
      .object({
        maxCost: z.number().positive().optional(),
        maxCalls: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
    /**
     * A batch declared in the config (`agora batch`, sim/app/batch/README.md); single runs ignore
     * it.
     */
    batch: z
      .object({
        seeds: z.union([z.string(), z.number().int(), z.array(z.number().int()).min(1)]).optional(),
        grid: z.record(z.string().min(1), z.array(z.unknown()).min(1)).optional(),
        /** Worker threads the batch's runs execute on (`agora batch --workers`). */
        workers: z.number().int().positive().max(256).optional(),
      })
      .strict()
      .optional(),
  })
  // Loose for the scenario's own section, which resolveConfig checks against the scenario.
  .loose()
  // Before the graph is built: a complete graph on 100,000 agents would take Node down.
  .superRefine((config, ctx) => {
    const problem = graphSizeProblem(config.graph, config.population.size);
    if (problem)
      ctx.addIssue({ code: "custom", path: ["graph"], input: config.graph, message: problem });
  });

export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** A fully resolved config: defaults filled in, minds expanded per agent slot. */
export interface ResolvedConfig extends BaseConfig {
  [scenarioSection: string]: unknown;
}

export interface LoadedConfig {
  config: ResolvedConfig;
  scenario: AnyScenario;
  /** One mind per agent of the first generation, in population order. */
  minds: MindSpec[];
  profiles: Record<string, Profile>;
  hash: string;
  baseDir: string;
}

export interface Overrides {
  seed?: number;
  /** Every LLM mind uses this profile. */
  model?: string;
  maxCost?: number;
  maxCalls?: number;
  cacheMode?: "off" | "read-write" | "replay";
}

export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError("(file)", path, `a readable config file (${(error as Error).message})`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new ConfigError("(file)", path, `valid YAML: ${(error as Error).message}`);
  }
}

/** Throws the first zod issue as a ConfigError naming the path, the value and what was expected. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix = ""): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const segments = [prefix, ...issue.path.map(String)];
  let found = issue.input;
  if (issue.code === "unrecognized_keys") {
    // Name the unknown key itself, with its value.
    const key = issue.keys[0]!;
    segments.push(key);
    found = (issue.input as Record<string, unknown> | undefined)?.[key];
  }
  throw new ConfigError(segments.filter(Boolean).join("."), found, expectedFrom(issue));
}

/** What a user should have written, in plain words rather than zod's. */
/** zod's default messages begin so; any other message is a schema's own words, which say more. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (small|big))/;

const TYPE_NAMES: Record<string, string> = {
  int: "an integer",
  object: "an object",
  array: "a list",
};

function expectedFrom(issue: z.core.$ZodIssue): string {
  if (
    (issue.code === "invalid_type" || issue.code === "too_small" || issue.code === "too_big") &&
    issue.input !== undefined &&
    !ZOD_DEFAULT_MESSAGE.test(issue.message)
  )
    return issue.message;
  switch (issue.code) {
    case "unrecognized_keys":
      return "no such key here (check the spelling against docs/config.md)";
    case "invalid_value":
      return `one of ${issue.values.map((v) => describeValue(v)).join(", ")}`;
    case "invalid_type":
      return issue.input === undefined
        ? `a value (${issue.expected}): this key is required`
        : (TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`);
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const op =
        issue.code === "too_small" ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
      if (issue.origin === "array")
        return `a list with ${issue.code === "too_small" ? "at least" : "at most"} ${bound} item(s)`;
      if (issue.origin === "string")
        return `text of ${issue.code === "too_small" ? "at least" : "at most"} ${bound} character(s)`;
      return `a number ${op} ${bound}`;
    }
    case "invalid_format":
      // A schema's own words ("an environment variable name") say more than zod's "Invalid ...".
      return issue.message.startsWith("Invalid") ? `a valid ${issue.format}` : issue.message;
    case "invalid_union":
      return "one of the documented forms";
    default:
      return issue.message.replace(/^Invalid input: /, "");
  }
}

/**
 * Validates a raw config against the base schema and its scenario's schema, then applies overrides.
 * `scenarios` finds the scenario a config names: a map by id, or the application's lookup (which
 * also knows module paths and packages); the core itself knows no scenario.
 */
export function resolveConfig(
  raw: unknown,
  scenarios: Record<string, AnyScenario> | ((ref: string) => AnyScenario | undefined),
  overrides: Overrides = {},
  baseDir = process.cwd(),
): LoadedConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ConfigError("(root)", raw, "a mapping of config keys");
  const scenarioId = (raw as Record<string, unknown>).scenario;
  const lookup = typeof scenarios === "function" ? scenarios : (ref: string) => scenarios[ref];
  const scenario = typeof scenarioId === "string" ? lookup(scenarioId) : undefined;
  if (!scenario) {
    const known =
      typeof scenarios === "function"
        ? "a loaded scenario"
        : `one of ${Object.keys(scenarios).join(", ")}`;
    throw new ConfigError("scenario", scenarioId, known);
  }

  const base = parseOrThrow(baseConfigSchema, raw);
  // Checked above, then dropped: it describes a batch of runs, not this run (nor its configHash).
  delete base.batch;
  const known = new Set([...Object.keys(baseConfigSchema.shape), scenario.configKey]);
  const unknown = Object.keys(raw).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new ConfigError(
      unknown[0]!,
      (raw as Record<string, unknown>)[unknown[0]!],
      `a known key (${[...known].join(", ")})`,
    );
  const section = parseOrThrow(
    scenario.configSchema,
    (raw as Record<string, unknown>)[scenario.configKey] ?? {},
    scenario.configKey,
  );

  scenario.check?.(base, section);

  if (overrides.seed !== undefined) base.seed = overrides.seed;
  if (overrides.maxCost !== undefined) base.budget.maxCost = overrides.maxCost;
  if (overrides.maxCalls !== undefined) base.budget.maxCalls = overrides.maxCalls;
  if (overrides.cacheMode !== undefined) base.cache.mode = overrides.cacheMode;

  const profiles: Record<string, Profile> = { ...base.profiles };
  if (overrides.model !== undefined && !(overrides.model in profiles)) {
    throw new ConfigError(
      "--model",
      overrides.model,
      `a profile defined under profiles (${Object.keys(profiles).join(", ") || "none defined"})`,
    );
  }
  // Counted before the minds are expanded, so wrong counts allocate nothing.
  const counted = base.population.minds.reduce((n, entry) => n + entry.count, 0);
  if (counted !== base.population.size) {
    throw new ConfigError(
      "population.minds",
      counted,
      `counts that add up to population.size (${base.population.size})`,
    );
  }
  const minds: MindSpec[] = [];
  base.population.minds.forEach((entry, i) => {
    const path = `population.minds.${i}`;
    const kinds = [entry.profile, entry.llm, entry.policy].filter((k) => k !== undefined).length;
    if (kinds !== 1) throw new ConfigError(path, entry, "exactly one of profile, llm or policy");
    const { count: _count, policy: _policy, profile: _profile, llm: _llm, ...params } = entry;
    let spec: MindSpec;
    if (entry.policy !== undefined) {
      const definition = scenario.policies[entry.policy];
      if (!definition)
        throw new ConfigError(
          `${path}.policy`,
          entry.policy,
          `one of ${Object.keys(scenario.policies).join(", ")}`,
        );
      spec = {
        kind: "policy",
        policy: entry.policy,
        params: parseOrThrow(definition.paramsSchema, params, path),
      };
    } else {
      // Model parameters belong in the profile: one written here (`temprature: 0.2`) would
      // otherwise be silently dropped.
      const stray = Object.keys(params)[0];
      if (stray !== undefined)
        throw new ConfigError(
          `${path}.${stray}`,
          params[stray],
          `no such key beside ${entry.llm ? "llm" : "profile"} (only count; model parameters go in the profile)`,
        );
      let name = entry.profile;
      if (entry.llm) {
        name = profiles[entry.llm.model] ? `${entry.llm.model}#${i}` : entry.llm.model;
        profiles[name] = entry.llm;
      }
      if (overrides.model !== undefined) name = overrides.model;
      if (!profiles[name!]) {
        throw new ConfigError(
          overrides.model !== undefined ? "--model" : `${path}.profile`,
          name,
          `a profile defined under profiles (${Object.keys(profiles).join(", ") || "none defined"})`,
        );
      }
      spec = { kind: "llm", profile: name! };
    }
    for (let k = 0; k < entry.count; k++) minds.push(spec);
  });
  // No call is unbounded: a profile without maxTokens gets the scenario's default (recorded in the
  // resolved config, so the manifest and the cache key show what was sent).
  for (const [name, profile] of Object.entries(profiles)) {
    if (profile.maxTokens === undefined)
      profiles[name] = { ...profile, maxTokens: scenario.defaultMaxTokens };
  }
  const config: ResolvedConfig = { ...base, profiles, [scenario.configKey]: section };
  return { config, scenario, minds, profiles, hash: configHash(config), baseDir };
}

/**
 * The experiment a config describes, without where and how responses are cached and how policies
 * compute their answers: a replay from the cache, or a run on the other policy path, is the same
 * experiment, so it has the same hash and the same run-started event.
 */
export function experimentConfig(
  config: ResolvedConfig,
): Omit<ResolvedConfig, "cache" | "policyPath"> {
  const { cache: _cache, policyPath: _policyPath, ...experiment } = config;
  return experiment;
}

export function configHash(config: ResolvedConfig): string {
  return createHash("sha256")
    .update(stringify(experimentConfig(config)) ?? "")
    .digest("hex");
}
