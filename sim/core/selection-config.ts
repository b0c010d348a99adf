import { z } from "zod";
import { LIMITS } from "./limits.js";

/**
 * The `update:` key of a scenario with generations: how places are refilled between generations
 * (sim/toolkit/selection.ts carries out the rule). Here in the core, beside the other config
 * schemas, because the toolkit imports nothing but the core; scenarios import it from the toolkit.
 */
const UPDATE_RULES = ["truncation", "death-birth", "birth-death", "imitation"] as const;

const GRAPH_RULES = ["death-birth", "birth-death", "imitation"] as const;

const updateForms = z.discriminatedUnion("rule", [
  z.strictObject({ rule: z.literal("truncation") }),
  z.strictObject({
    rule: z.enum(GRAPH_RULES),
    /** Selection intensity w (Ohtsuki et al. 2006); 0 is neutral drift. */
    intensity: z.number().min(0).default(0.1),
    /** Update events per generation. */
    updates: z.number().int().min(1).max(LIMITS.populationSize).default(1),
    fitness: z.enum(["linear", "exponential"]).default("linear"),
  }),
]);

// The rule is checked on its own first: an unknown one is then reported as "update.rule: got X,
// expected one of ...", where the union alone names neither the value nor the choices.
export const updateRuleSchema = z
  .looseObject({ rule: z.enum(UPDATE_RULES) })
  .pipe(updateForms)
  .default({ rule: "truncation" });

export type UpdateRule = z.infer<typeof updateRuleSchema>;
