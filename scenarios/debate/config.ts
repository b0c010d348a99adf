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

/**
 * "mixed" (MachineSoM's run_strategy.py debate round): one seeded random debater reflects while the
 * others debate among themselves.
 */
export const PATTERNS = ["debate", "reflection", "mixed"] as const;
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
    /**
     * Whose behaviour a setup follows where Agora's documented default differs from a peer's
     * released code (README, "Fidelity"): "agora", or "mad-released"
     * (Skytliang/Multi-Agents-Debate, setup mad), "du" (composable-models/llm_multiagent_debate,
     * setup n-agent), "machinesom" (zjunlp/MachineSoM, setup societies).
     */
    compat: z.enum(["agora", "mad-released", "du", "machinesom"]).default("agora"),
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
     * A debater's prompt holds its latest turn only, or its whole conversation so far (default:
     * full under compat du, machinesom and mad-released, as their code does; else latest). Setup
     * mad takes latest under compat agora and full under mad-released.
     */
    memory: z.enum(["latest", "full"]).optional(),
    /**
     * Debaters are not named to each other: no name in the system prompt, none on the answers shown
     * (default: true under compat du and machinesom, as their code does; else false).
     */
    anonymous: z.boolean().optional(),
    /**
     * Compat machinesom: the expert role of MachineSoM's trait turn ("Imagine you are <expert> and
     * ..."); default its math role.
     */
    expert: z.string().min(1).optional(),
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
    const peer = section.compat === "du" || section.compat === "machinesom";
    return {
      ...section,
      rounds,
      // The peers' released code appends every turn to the speaker's context (MAD's moderator's
      // too); Du's and MachineSoM's name no one.
      memory: section.memory ?? (peer || section.compat === "mad-released" ? "full" : "latest"),
      anonymous: section.anonymous ?? peer,
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

type Compat = DebateConfig["compat"];

/** A field a compat value constrains: its path and value, whether that is allowed, what is. */
interface Requirement {
  path: string;
  value: unknown;
  ok: boolean;
  expected: string;
}

const simultaneous = (section: DebateConfig): Requirement => ({
  path: "debate.turns",
  value: section.turns,
  ok: section.turns === "simultaneous",
  expected: `simultaneous for compat ${section.compat} (every debater sees the previous round)`,
});

/**
 * What each peer's compat value belongs to and forbids (README, "Fidelity"): the setup whose
 * released code it follows, and the settings that code does not have.
 */
const COMPATS: Record<
  Exclude<Compat, "agora">,
  { setup: Setup; requires: (size: number, section: DebateConfig) => Requirement[] }
> = {
  // Two sides, its adaptive break, its medium tit for tat, at most the ten rounds it can name,
  // whole conversations, no personas or advice in its prompts.
  "mad-released": {
    setup: "mad",
    requires: (size, s) => {
      const need = (ok: boolean, path: string, value: unknown, expected: string) => ({
        ok,
        path,
        value,
        expected: `${expected} for compat mad-released`,
      });
      return [
        need(
          size === 2,
          "population.size",
          size,
          "2 debaters (its affirmative and negative sides)",
        ),
        need(s.rounds <= 10, "debate.rounds", s.rounds, "at most 10 rounds"),
        need(s.adaptiveBreak, "debate.adaptiveBreak", s.adaptiveBreak, "true"),
        need(s.disagreement === "medium", "debate.disagreement", s.disagreement, "medium"),
        need(
          s.memory === "full",
          "debate.memory",
          s.memory,
          "full or unset (each side and the moderator keep their whole conversation)",
        ),
        need(s.agents.length === 0, "debate.agents", s.agents, "no personas or traits"),
        need(!s.evolution.enabled, "debate.evolution.enabled", true, "false (no advice)"),
      ];
    },
  },
  du: { setup: "n-agent", requires: (_size, s) => [simultaneous(s)] },
  machinesom: {
    setup: "societies",
    requires: (size, s) => [
      simultaneous(s),
      ...Array.from({ length: size }, (_, i) => ({
        path: `debate.agents.${i}.trait`,
        value: s.agents[i]?.trait,
        ok: s.agents[i]?.trait !== undefined,
        expected: "a trait for every debater under compat machinesom (easy-going or overconfident)",
      })),
    ],
  },
};

/** The compat value's checks: its setup first, then the first setting it forbids. */
function checkCompat(size: number, section: DebateConfig): void {
  if (section.expert !== undefined && section.compat !== "machinesom")
    throw new ConfigError(
      "debate.expert",
      section.expert,
      "no expert role without compat machinesom (the role of its trait turn)",
    );
  if (section.compat === "agora") return;
  const { setup, requires } = COMPATS[section.compat];
  if (section.setup !== setup)
    throw new ConfigError(
      "debate.compat",
      section.compat,
      `a compat value of setup ${section.setup} (${section.compat} belongs to setup ${setup})`,
    );
  const broken = requires(size, section).find((r) => !r.ok);
  if (broken) throw new ConfigError(broken.path, broken.value, broken.expected);
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
  checkCompat(size, section);
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
    // Compat mad-released keeps whole conversations (checked above).
    if (section.compat === "agora" && section.memory !== "latest")
      throw new ConfigError(
        "debate.memory",
        section.memory,
        "latest for setup mad (each side sees only the latest arguments; compat mad-released keeps whole conversations)",
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
  if (
    section.summariser &&
    (section.setup === "mad" || section.patterns.every((p) => p === "reflection"))
  ) {
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
