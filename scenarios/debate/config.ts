import { z } from "zod";
import { LIMITS } from "../../sim/core/limits.js";
import { ConfigError } from "../../sim/core/errors.js";
import { parseOrThrow } from "../../sim/core/config.js";
import { updateRuleSchema } from "../../sim/toolkit/selection.js";
import { DEBATE_POLICIES } from "./policies.js";
import { questionSourceSchema } from "./questions.js";

/** The published setups (and baselines), each a preset of the same engine. */
export const SETUPS = [
  "mad",
  "n-agent",
  "societies",
  "persona",
  "single",
  "self-consistency",
  "self-reflection",
] as const;
export type Setup = (typeof SETUPS)[number];

export const PATTERNS = ["debate", "reflection"] as const;
export type Pattern = (typeof PATTERNS)[number];

export const TRAITS = ["easy-going", "overconfident"] as const;

/**
 * A role's mind (judge, summariser): a named profile, or a policy with its parameters beside it.
 */
const roleMindSchema = z
  .object({ profile: z.string().min(1).optional(), policy: z.string().min(1).optional() })
  .loose();
export type RoleMindConfig = z.infer<typeof roleMindSchema>;

const debaterSchema = z
  .object({
    /** Free text put in the debater's system prompt ("You are a lifelong Republican..."). */
    persona: z.string().min(1).optional(),
    /** MachineSoM's trait, as a persona sentence. */
    trait: z.enum(TRAITS).optional(),
    /** A short label for tables and the viewer ("Republican", "control"). */
    label: z.string().min(1).optional(),
  })
  .strict();

const evolutionSchema = z
  .object({
    enabled: z.boolean().default(false),
    survivorFraction: z.number().gt(0).lt(1).default(0.5),
    /**
     * Policy newcomers copy a surviving policy debater's parameters, each mutated with probability
     * `rate` by N(0, sd).
     */
    mutation: z
      .object({ rate: z.number().min(0).max(1).default(0.2), sd: z.number().min(0).default(0.1) })
      .strict()
      .default({ rate: 0.2, sd: 0.1 }),
    /**
     * Whom a newcomer learns from under truncation: every survivor ("global"), or the survivors
     * among its place's graph in-neighbours ("neighbours"), the debaters whose replies it hears.
     */
    learning: z.enum(["global", "neighbours"]).default("global"),
    /** Who is replaced and by whose offspring (the toolkit's selection rules). */
    update: updateRuleSchema,
  })
  .strict();

/** Per-setup defaults; a key set in the config wins. */
const PRESETS: Record<
  Setup,
  { rounds: number; pattern: Pattern; turns: "simultaneous" | "sequential"; survey: boolean }
> = {
  mad: { rounds: 3, pattern: "debate", turns: "sequential", survey: false },
  "n-agent": { rounds: 2, pattern: "debate", turns: "simultaneous", survey: false },
  societies: { rounds: 3, pattern: "debate", turns: "simultaneous", survey: false },
  persona: { rounds: 3, pattern: "debate", turns: "sequential", survey: true },
  single: { rounds: 0, pattern: "debate", turns: "simultaneous", survey: false },
  "self-consistency": { rounds: 0, pattern: "debate", turns: "simultaneous", survey: false },
  "self-reflection": { rounds: 2, pattern: "reflection", turns: "simultaneous", survey: false },
};

/** The `debate:` section of a config. */
export const debateConfigSchema = z
  .object({
    setup: z.enum(SETUPS).default("n-agent"),
    questions: questionSourceSchema,
    /** Questions per generation: a generation is a block of questions. */
    questionsPerGeneration: z.number().int().min(1).max(LIMITS.questions).default(10),
    /**
     * At most this many questions in flight within a round's step (absent: all of them); results
     * and events are the same whatever it is.
     */
    parallelQuestions: z.number().int().min(1).max(LIMITS.parallelQuestions).optional(),
    /**
     * Debate rounds after the initial answers; for MAD the maximum number of rounds (maxRounds).
     */
    rounds: z.number().int().min(0).max(20).optional(),
    /** Per-round thinking pattern (MachineSoM): one entry per round. */
    patterns: z.array(z.enum(PATTERNS)).optional(),
    turns: z.enum(["simultaneous", "sequential"]).optional(),
    /**
     * Round-based setups: a debater's prompt holds its latest turn only, or its whole conversation
     * so far (Du et al., MachineSoM).
     */
    memory: z.enum(["latest", "full"]).default("latest"),
    /** Stop a question early once every debater gives the same answer. */
    stopOnConsensus: z.boolean().default(false),
    /** MAD: stop as soon as the judge decides (Liang et al.'s adaptive break). */
    adaptiveBreak: z.boolean().default(true),
    /** MAD's "tit for tat" level: how strongly the negative side is told to disagree. */
    disagreement: z.enum(["low", "medium", "high"]).default("medium"),
    /**
     * How replies are read: "marked" takes only answers a reply marks as such ("Answer: ...", a
     * JSON
     * field, \boxed{}, "Attitude: N", "My advice: ..."); "lenient" also falls back to the last
     * option
     * or number in the text (the last 0-10 number for surveys, the whole reply for advice).
     */
    answerReading: z.enum(["marked", "lenient"]).default("marked"),
    judge: roleMindSchema.optional(),
    summariser: roleMindSchema.optional(),
    /** Private 0-10 attitude survey after every round (persona debates). */
    survey: z.boolean().optional(),
    /** Per-debater persona and trait, in population order; missing entries have none. */
    agents: z.array(debaterSchema).default([]),
    evolution: evolutionSchema.default({
      enabled: false,
      survivorFraction: 0.5,
      mutation: { rate: 0.2, sd: 0.1 },
      learning: "global",
      update: { rule: "truncation" },
    }),
  })
  .strict()
  .transform((section) => {
    const preset = PRESETS[section.setup];
    const rounds = section.rounds ?? preset.rounds;
    return {
      ...section,
      rounds,
      patterns: section.patterns ?? Array.from({ length: rounds }, () => preset.pattern),
      turns: section.turns ?? preset.turns,
      survey: section.survey ?? preset.survey,
    };
  });

export type DebateConfig = z.infer<typeof debateConfigSchema>;

/** Role minds after `check`: the policy's parameters parsed (defaults filled in). */
export type RoleMind = { profile: string } | { policy: string; params: Record<string, unknown> };

function roleMind(
  path: string,
  value: RoleMindConfig,
  profiles: Record<string, unknown>,
): RoleMind {
  const { profile, policy, ...params } = value;
  if ((profile === undefined) === (policy === undefined))
    throw new ConfigError(path, value, "exactly one of profile or policy");
  if (profile !== undefined) {
    if (Object.keys(params).length > 0)
      throw new ConfigError(
        `${path}.${Object.keys(params)[0]}`,
        Object.values(params)[0],
        "no other key beside profile",
      );
    if (!(profile in profiles))
      throw new ConfigError(
        `${path}.profile`,
        profile,
        `a profile defined under profiles (${Object.keys(profiles).join(", ") || "none defined"})`,
      );
    return { profile };
  }
  const definition = DEBATE_POLICIES[policy!];
  if (!definition)
    throw new ConfigError(
      `${path}.policy`,
      policy,
      `one of ${Object.keys(DEBATE_POLICIES).join(", ")}`,
    );
  return {
    policy: policy!,
    params: parseOrThrow(definition.paramsSchema, params, path) as Record<string, unknown>,
  };
}

/**
 * Cross-field checks; also resolves the role minds in place (so the resolved config shows their
 * parameters).
 */
export function checkDebateConfig(
  base: { population: { size: number }; profiles?: Record<string, unknown> },
  section: DebateConfig,
): void {
  const size = base.population.size;
  const profiles = base.profiles ?? {};
  if (section.setup === "mad") {
    if (size > 4) throw new ConfigError("population.size", size, "2 to 4 debaters for setup mad");
    if (!section.judge)
      throw new ConfigError(
        "debate.judge",
        section.judge,
        "a judge ({ profile: NAME } or { policy: judge }) for setup mad",
      );
    if (section.rounds < 1)
      throw new ConfigError("debate.rounds", section.rounds, "at least 1 round for setup mad");
    if (section.turns !== "sequential")
      throw new ConfigError(
        "debate.turns",
        section.turns,
        "sequential for setup mad (its sides speak in order)",
      );
    if (section.memory !== "latest")
      throw new ConfigError(
        "debate.memory",
        section.memory,
        "latest for setup mad (each side sees only the latest arguments)",
      );
  }
  if (
    (section.setup === "single" || section.setup === "self-consistency") &&
    section.rounds !== 0
  ) {
    throw new ConfigError(
      "debate.rounds",
      section.rounds,
      `0 for setup ${section.setup} (independent answers only)`,
    );
  }
  if (section.setup !== "mad" && section.patterns.length !== section.rounds) {
    throw new ConfigError(
      "debate.patterns",
      section.patterns,
      `one pattern per round (${section.rounds} round(s))`,
    );
  }
  if (section.agents.length > size)
    throw new ConfigError(
      "debate.agents",
      section.agents.length,
      `at most population.size (${size}) entries`,
    );
  if (section.summariser && (section.setup === "mad" || !section.patterns.includes("debate"))) {
    throw new ConfigError(
      "debate.summariser",
      section.summariser,
      "no summariser: this setup has no debate round whose answers it could condense",
    );
  }
  for (const key of ["judge", "summariser"] as const) {
    const value = section[key];
    if (value)
      (section as Record<string, unknown>)[key] = roleMind(`debate.${key}`, value, profiles);
  }
}
