import { z } from "zod";
import { LIMITS, updateRuleSchema } from "../../sim/index.js";

/**
 * The `publicGoods:` section of a config. Every key has a default, so `publicGoods: {}` (or no
 * section at all) is a valid game: 10 rounds, endowment 20, multiplier 3.
 */
export const publicGoodsConfigSchema = z
  .object({
    /** Rounds per generation; every agent decides once per round. */
    rounds: z.number().int().min(1).max(LIMITS.rounds).default(10),
    /**
     * Units every agent receives at the start of every round (what it does not contribute, it
     * keeps).
     */
    endowment: z.number().positive().default(20),
    /**
     * r: each group's pot is multiplied by r and shared equally among the group's members. With
     * every group of size k + 1, contributing costs the contributor unless r > k + 1.
     */
    multiplier: z.number().min(0).default(3),
    /** Re-asks after an unusable answer before the contribution falls back to 0. */
    parseRetries: z.number().int().min(0).max(LIMITS.parseRetries).default(3),
    /** An amount outside [0, endowment]: re-ask it ("reject") or clamp it into range ("clamp"). */
    outOfRange: z.enum(["reject", "clamp"]).default("reject"),
    /**
     * Truncation: share of agents (by score) that survive into the next generation; at least one
     * always does.
     */
    survivorFraction: z.number().gt(0).lt(1).default(0.5),
    /**
     * Who is replaced and by whose offspring: truncation by score (`survivorFraction`), or a graph
     * rule (death-birth, birth-death, imitation) over the agents' neighbourhoods.
     */
    update: updateRuleSchema,
    /**
     * Cultural evolution of policies: a newborn policy agent copies a survivor's parameters,
     * mutated.
     */
    policyMutation: z
      .object({ rate: z.number().min(0).max(1).default(0.2), sd: z.number().min(0).default(0.1) })
      .strict()
      .default({ rate: 0.2, sd: 0.1 }),
  })
  .strict();

export type PublicGoodsConfig = z.infer<typeof publicGoodsConfigSchema>;
