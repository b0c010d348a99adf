import { z } from "zod";
import {
  readFixed,
  type PolicyDecisionInput,
  type PolicyDefinition,
  type PolicyRegistry,
  type Rng,
} from "../../sim/index.js";
import type { ContributionOutcome } from "./answers.js";

/**
 * What a policy sees when it decides a contribution: the same facts the contribution prompt
 * states to an LLM (state, not prompt text).
 */
export interface ContributionState {
  endowment: number;
  round: number;
  /** How many neighbours the agent has (its groups number one more). */
  neighbours: number;
  /**
   * Last round in this generation: the agent's own contribution and each neighbour's; null in round
   * 1.
   */
  previous: { own: number; neighbours: number[] } | null;
}

const unit = z.number().min(0).max(1);
const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * A policy answers in the form an LLM is asked for, so one parser (answers.ts) reads both. The
 * amount is written in fixed notation: the parser reads plain decimals, never exponents.
 */
export function answerText(amount: number, why: string): string {
  return `Justification: ${why}\nAnswer: ${writtenAmount(amount)}`;
}

const writtenAmount = (amount: number): string => amount.toFixed(9);

/**
 * The fast path: what parseContribution makes of answerText's text, without the text. The amount
 * is read back from its fixed notation (readFixed), and, being a clamped share of the endowment,
 * lies in range up to the rounding of 9 decimals, well within the parser's tolerance; it is
 * snapped onto the range as the parser does.
 */
function contribution(amount: number, why: string, endowment: number): ContributionOutcome {
  const read = readFixed(writtenAmount(amount));
  return {
    ok: true,
    amount: Math.min(Math.max(read, 0), endowment),
    justification: why,
    clamped: false,
  };
}

/**
 * Wraps a contribution rule (a fraction of the endowment) into a policy with the shared mutation.
 */
function policy<P extends Record<string, unknown>>(definition: {
  paramsSchema: z.ZodType<P>;
  describe(params: P): string;
  contribute(state: ContributionState, params: P, rng: Rng): { fraction: number; why: string };
  /** Restores a constraint between parameters that independent mutation can break. */
  repair?(params: P): P;
}): PolicyDefinition<P> {
  return {
    paramsSchema: definition.paramsSchema,
    describe: definition.describe,
    decide: ({ purpose, state, params, rng }: PolicyDecisionInput) => {
      if (purpose !== "contribution") return definition.describe(params as P);
      const s = state as ContributionState;
      const { fraction, why } = definition.contribute(s, params as P, rng);
      return answerText(Math.min(1, Math.max(0, fraction)) * s.endowment, why);
    },
    act: ({ purpose, state, params, rng }: PolicyDecisionInput) => {
      // The scenario asks for nothing else, so there is no reader to mirror.
      if (purpose !== "contribution")
        throw new Error(`a public-goods policy answers contributions, not "${purpose}"`);
      const s = state as ContributionState;
      const { fraction, why } = definition.contribute(s, params as P, rng);
      return contribution(Math.min(1, Math.max(0, fraction)) * s.endowment, why, s.endowment);
    },
    // Each numeric parameter (all are shares in [0, 1]) moves with probability `rate` by sd · N(0,
    // 1), clamped.
    mutate: (params, rng, { rate, sd }) => {
      const out: Record<string, unknown> = { ...params };
      for (const [key, value] of Object.entries(params)) {
        if (typeof value === "number" && rng.bool(rate))
          out[key] = Math.min(1, Math.max(0, value + sd * rng.normal()));
      }
      return definition.paramsSchema.parse(definition.repair ? definition.repair(out as P) : out);
    },
  };
}

/**
 * Offline policies: deterministic seeded programs, not LLMs. Baselines and test fixtures; their
 * results say nothing about model behaviour. `always` comes first: it needs no parameters, so a
 * dry run (`agora batch --dry-run`) lets it stand in for LLM minds.
 */
export const PUBLIC_GOODS_POLICIES: PolicyRegistry = {
  always: policy({
    paramsSchema: z.object({ fraction: unit.default(0.5) }).strict(),
    describe: ({ fraction }) => `Contribute ${pct(fraction)} of the endowment every round.`,
    contribute: (_s, { fraction }) => ({
      fraction,
      why: `always policy: contribute ${pct(fraction)}.`,
    }),
  }),
  conditional: policy({
    paramsSchema: z.object({ initial: unit.default(1) }).strict(),
    describe: ({ initial }) =>
      `Contribute ${pct(initial)} of the endowment in the first round, then what my neighbours contributed on average in the round before.`,
    contribute: (s, { initial }) => {
      const last = s.previous?.neighbours ?? [];
      if (s.previous === null || last.length === 0)
        return {
          fraction: initial,
          why: `conditional policy: nothing to match yet, contribute ${pct(initial)}.`,
        };
      const average = last.reduce((a, b) => a + b, 0) / last.length;
      return {
        fraction: average / s.endowment,
        why: `conditional policy: my neighbours contributed ${average} on average last round.`,
      };
    },
  }),
  "free-rider": policy({
    paramsSchema: z.object({}).strict(),
    describe: () =>
      "Never contribute: keep the whole endowment and take a share of the others' pots.",
    contribute: () => ({ fraction: 0, why: "free-rider policy: contribute nothing." }),
  }),
  random: policy({
    paramsSchema: z
      .object({ min: unit.default(0), max: unit.default(1) })
      .strict()
      .refine((p) => p.min <= p.max, "min <= max"),
    repair: ({ min, max }) => (min <= max ? { min, max } : { min: max, max: min }),
    describe: ({ min, max }) =>
      `Contribute a random share of the endowment between ${pct(min)} and ${pct(max)}.`,
    contribute: (_s, { min, max }, rng) => {
      const fraction = min + (max - min) * rng.float();
      return { fraction, why: `random policy: drew ${pct(fraction)}.` };
    },
  }),
};
