import { z } from "zod";
import { LIMITS } from "../../sim/core/limits.js";
import { updateRuleSchema } from "../../sim/toolkit/selection.js";

/**
 * What `compat: released-code` sets, for the keys a config leaves out: the released code
 * (aronvallinder/llm-donor-game) makes no transfer for an amount outside [0, holdings] and scores
 * by twice the game-2 resources.
 */
const RELEASED_CODE_DEFAULTS = { outOfRange: "no-transfer", selection: "game2x2" } as const;

const withCompatDefaults = (raw: unknown): unknown =>
  raw !== null &&
  typeof raw === "object" &&
  (raw as { compat?: unknown }).compat === "released-code"
    ? { ...RELEASED_CODE_DEFAULTS, ...raw }
    : raw;

/** The `donorGame:` section of a config. Defaults follow Vallinder & Hughes (2024). */
const sectionSchema = z
  .object({
    /**
     * "agora": Agora's prompts as documented; "released-code": what the released code prints and
     * does (README "Fidelity"): trace percentages as Python's `:.2f` (ties to even), 100 % for a
     * donor holding 0 who gives 0, holdings as Python prints them ("10", "8.0"), and the defaults
     * of RELEASED_CODE_DEFAULTS.
     */
    compat: z.enum(["agora", "released-code"]).default("agora"),
    /** Rounds per game; the released code plays one round per agent (12 for 12 agents). */
    rounds: z.number().int().min(1).max(LIMITS.rounds).default(12),
    /** Game 2 replays every pairing of game 1 with roles reversed. */
    games: z.union([z.literal(1), z.literal(2)]).default(2),
    endowment: z.number().positive().default(10),
    multiplier: z.number().min(0).default(2),
    traceDepth: z.number().int().min(1).max(LIMITS.traceDepth).default(3),
    /**
     * "code": the released code's rotation; "alternating": the donor half switches every round
     * (both pair agents regardless of the graph: on a sparse graph most pairs are not adjacent and
     * are skipped); "graph": each round a seeded random matching over the graph's edges.
     */
    schedule: z.enum(["code", "alternating", "graph"]).default("code"),
    /**
     * "resources": the paper's game (endowment, multiplier, any amount); "classic": cooperate or
     * defect, payoffs from 0, a cooperating donor pays `cost` and its recipient gains `benefit`.
     */
    payoff: z.enum(["resources", "classic"]).default("resources"),
    /** Classic payoff: what a recipient gains from a cooperating donor (b). */
    benefit: z.number().positive().default(3),
    /** Classic payoff: what cooperating costs the donor (c), even into a negative payoff. */
    cost: z.number().positive().default(1),
    /** "mean-both-games": the paper; "game2x2": the released code (twice the game-2 resources). */
    selection: z.enum(["mean-both-games", "game2x2"]).default("mean-both-games"),
    punishment: z.enum(["none", "costly", "partner-choice"]).default("none"),
    punishmentLoss: z.number().positive().default(2),
    /** Re-asks after an unreadable answer before the donation defaults to 0. */
    parseRetries: z.number().int().min(0).max(LIMITS.parseRetries).default(10),
    /**
     * An amount outside [0, holdings]: re-ask ("reject"), clamp it, or play it as no transfer at
     * all ("no-transfer", the released code: nothing moves and no trace entry is added).
     */
    outOfRange: z.enum(["reject", "clamp", "no-transfer"]).default("reject"),
    survivorFraction: z.number().gt(0).lt(1).default(0.5),
    /**
     * Who survives truncation: the top `survivorFraction` ("top"), or a seeded random
     * `survivorFraction` of the agents whatever their scores ("random", the released code's
     * `selectionMethod: 'random'` control).
     */
    survivors: z.enum(["top", "random"]).default("top"),
    /** Show survivors' scores with their strategies, as the paper's prompt promises. */
    showScores: z.boolean().default(true),
    /**
     * At most this many survivors' strategies in a strategy prompt: with more survivors each
     * newborn (or revising survivor) sees its own seeded random sample of them, in ranking order,
     * so a prompt stays small however large the population (the paper's 6 survivors all show).
     */
    adviceSample: z.number().int().min(1).max(LIMITS.populationSize).default(50),
    /** Survivors also rewrite their strategy from the survivors' advice (see adviceSample). */
    survivorsRevise: z.boolean().default(false),
    /**
     * Play the two games side by side (they share nothing); the results are the same either way.
     */
    parallelGames: z.boolean().default(true),
    /**
     * Cultural evolution of policies: a newborn policy agent copies a survivor's parameters,
     * mutated.
     */
    policyMutation: z
      .object({ rate: z.number().min(0).max(1).default(0.2), sd: z.number().min(0).default(0.1) })
      .strict()
      .default({ rate: 0.2, sd: 0.1 }),
    /**
     * Who is replaced and by whose offspring (the toolkit's selection rules): "truncation" (the
     * paper, with `survivorFraction`), or "death-birth", "birth-death", "imitation" on the graph.
     */
    update: updateRuleSchema,
    /**
     * Whom newborns (and revising survivors) learn from: all survivors ("global", the paper), or
     * the survivors among their place's graph in-neighbours ("neighbours"; see evolution.ts).
     */
    learning: z.enum(["global", "neighbours"]).default("global"),
  })
  .strict();

export const donorGameConfigSchema = z.preprocess(withCompatDefaults, sectionSchema);

export type DonorGameConfig = z.infer<typeof donorGameConfigSchema>;
