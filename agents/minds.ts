import { z } from "zod";
import type { PolicyDecide } from "./policy-chat-model.js";
import type { Rng } from "../sim/core/rng.js";

/** What drives an agent: a model profile, or an offline policy with its parameters. */
export type MindSpec =
  | { kind: "llm"; profile: string }
  | { kind: "policy"; policy: string; params: Record<string, unknown> };

/** A scenario's offline policy: how it decides, how it describes itself, how it mutates. */
export interface PolicyDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  paramsSchema: z.ZodType<P>;
  /** A one-line description, used where an LLM would state its strategy. */
  describe(params: P): string;
  decide: PolicyDecide;
  /** A mutated copy of the parameters, for cultural evolution of policies. */
  mutate?(params: P, rng: Rng, mutation: { rate: number; sd: number }): P;
}

export type PolicyRegistry = Record<string, PolicyDefinition<any>>;
