import { z } from "zod";
import type { PolicyDefinition, PolicyRegistry } from "../../sim/core/minds.js";
import type { PolicyDecisionInput } from "../../sim/core/minds.js";
import type { Rng } from "../../sim/core/rng.js";
import { readFixed } from "../../sim/toolkit/answers.js";
import type { AnswerOutcome, StrategyOutcome } from "./parse.js";
import type { TraceEntry } from "./trace.js";

/** What a policy sees when it is a donor: the same facts the donation prompt states. */
export interface DonationState {
  /** Under the classic payoff, the donor's payoff so far. */
  holdings: number;
  recipientHoldings: number;
  /** The recipient's visible trace, newest first. */
  trace: readonly TraceEntry[];
  punishment: "none" | "costly" | "partner-choice";
  /** "classic": the answer is cooperate (a decision giving a fraction > 0) or defect. */
  payoff?: "resources" | "classic";
}

type Decision =
  { kind: "donate"; fraction: number } | { kind: "punish"; fraction: number } | { kind: "refuse" };

const unit = z.number().min(0).max(1);

/** The fraction the recipient gave in its latest action, or null when it has not acted yet. */
function lastFraction(trace: readonly TraceEntry[]): number | null {
  const latest = trace[0];
  if (!latest || latest.kind === "none") return null;
  return latest.kind === "donate" ? (latest.fraction ?? 0) : 0;
}

/**
 * The amount a decision writes: fixed notation with 12 decimals, since the parser reads plain
 * decimals, not exponents. The fast path reads it back (readFixed) to give the text path's bits.
 */
function writtenAmount(decision: Decision, holdings: number): string {
  return (decision.kind === "refuse" ? 0 : decision.fraction * holdings).toFixed(12);
}

/** Classic payoff: a decision that gives something cooperates. */
const cooperates = (decision: Decision): boolean =>
  decision.kind === "donate" && decision.fraction > 0;

/** Policies answer in the form LLMs are asked for, so both go through the same parser. */
function answer(decision: Decision, state: DonationState, why: string): string {
  const amount = writtenAmount(decision, state.holdings);
  let text: string;
  if (state.payoff === "classic") text = cooperates(decision) ? "Cooperate" : "Defect";
  else if (decision.kind === "refuse") text = "Refuse to play";
  else if (state.punishment === "costly")
    text = `${decision.kind === "punish" ? "Punish" : "Donate"}, ${amount}`;
  else text = amount;
  return `Justification: ${why}\nAnswer: ${text}`;
}

/**
 * The fast path: what parseDonation (parseCooperation under the classic payoff) makes of `answer`'s
 * text, without the text. Costly punishment reads the keyword; any other condition reads the bare
 * amount as a donation. The amount read back lies in [0, holdings] up to the rounding of 12
 * decimals, well within the parser's tolerance, and is snapped onto the range as the parser does.
 */
function action(decision: Decision, state: DonationState, why: string): AnswerOutcome {
  if (state.payoff === "classic") {
    const kind = cooperates(decision) ? "cooperate" : "defect";
    return { ok: true, action: { kind }, justification: why, clamped: false };
  }
  if (decision.kind === "refuse") {
    // "Refuse to play" reads as a refusal under partner choice only (elsewhere as no amount, which
    // the text path would re-ask): policies refuse only there.
    if (state.punishment !== "partner-choice")
      throw new Error(`a policy refused under punishment "${state.punishment}"`);
    return { ok: true, action: { kind: "refuse" }, justification: why, clamped: false };
  }
  const kind = decision.kind === "punish" && state.punishment === "costly" ? "punish" : "donate";
  const amount = Math.min(
    Math.max(readFixed(writtenAmount(decision, state.holdings)), 0),
    state.holdings,
  );
  return { ok: true, action: { kind, amount }, justification: why, clamped: false };
}

/**
 * A strategy question's answer: the policy's description, which begins with "My strategy will be"
 * as parseStrategy requires, so the whole text is the strategy and there is no justification.
 */
const statement = (text: string): StrategyOutcome => ({
  ok: true,
  strategy: text.trim(),
  justification: "",
});

/** Wraps a donation rule into a policy: strategy questions get the policy's own description. */
function policy<P extends Record<string, unknown>>(definition: {
  paramsSchema: z.ZodType<P>;
  describe(params: P): string;
  donate(state: DonationState, params: P, rng: Rng): { decision: Decision; why: string };
  /** Restores a constraint between parameters that independent mutation can break. */
  repair?(params: P): P;
}): PolicyDefinition<P> {
  return {
    paramsSchema: definition.paramsSchema,
    describe: definition.describe,
    decide: ({ purpose, state, params, rng }: PolicyDecisionInput) => {
      if (purpose === "strategy") return definition.describe(params as P);
      const donation = state as DonationState;
      const { decision, why } = definition.donate(donation, params as P, rng);
      return answer(decision, donation, why);
    },
    act: ({ purpose, state, params, rng }: PolicyDecisionInput) => {
      if (purpose === "strategy") return statement(definition.describe(params as P));
      const donation = state as DonationState;
      const { decision, why } = definition.donate(donation, params as P, rng);
      return action(decision, donation, why);
    },
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

const pct = (x: number) => `${Math.round(x * 100)}%`;

export const DONOR_POLICIES: PolicyRegistry = {
  constant: policy({
    paramsSchema: z.object({ fraction: unit }).strict(),
    describe: ({ fraction }) =>
      `My strategy will be to give ${pct(fraction)} of my resources to every recipient.`,
    donate: (_s, { fraction }) => ({
      decision: { kind: "donate", fraction },
      why: `constant policy: always give ${pct(fraction)}.`,
    }),
  }),
  cooperate: policy({
    paramsSchema: z.object({}).strict(),
    describe: () => "My strategy will be to always cooperate, giving everything I hold.",
    donate: () => ({
      decision: { kind: "donate", fraction: 1 },
      why: "cooperate policy: always give everything.",
    }),
  }),
  defect: policy({
    paramsSchema: z.object({}).strict(),
    describe: () => "My strategy will be to never give anything.",
    donate: () => ({
      decision: { kind: "donate", fraction: 0 },
      why: "defect policy: never give.",
    }),
  }),
  "tit-for-tat": policy({
    paramsSchema: z.object({ initial: unit.default(1) }).strict(),
    describe: ({ initial }) =>
      `My strategy will be to give the recipient the same share of my resources that they last gave, and ${pct(initial)} to recipients with no history.`,
    donate: (state, { initial }) => {
      const last = lastFraction(state.trace);
      return last === null
        ? {
            decision: { kind: "donate", fraction: initial },
            why: `tit-for-tat: no history, give ${pct(initial)}.`,
          }
        : {
            decision: { kind: "donate", fraction: last },
            why: `tit-for-tat: they last gave ${pct(last)}.`,
          };
    },
  }),
  "image-scoring": policy({
    paramsSchema: z
      .object({
        threshold: unit.default(0.3),
        fraction: unit.default(0.5),
        /**
         * Share of holdings spent punishing (or, under partner choice, refusing) a recipient below
         * the threshold; 0 only withholds.
         */
        punish: unit.default(0),
      })
      .strict(),
    describe: ({ threshold, fraction, punish }) =>
      `My strategy will be to give ${pct(fraction)} of my resources to recipients whose last action gave at least ${pct(threshold)}, and ${
        punish > 0 ? "to punish" : "nothing to"
      } the others.`,
    donate: (state, { threshold, fraction, punish }) => {
      const last = lastFraction(state.trace);
      if (last === null || last >= threshold)
        return { decision: { kind: "donate", fraction }, why: "image scoring: good standing." };
      if (punish > 0 && state.punishment === "costly")
        return {
          decision: { kind: "punish", fraction: punish },
          why: "image scoring: punish a defector.",
        };
      if (punish > 0 && state.punishment === "partner-choice")
        return { decision: { kind: "refuse" }, why: "image scoring: refuse a defector." };
      return {
        decision: { kind: "donate", fraction: 0 },
        why: "image scoring: withhold from a defector.",
      };
    },
  }),
  random: policy({
    paramsSchema: z
      .object({ min: unit.default(0), max: unit.default(1) })
      .strict()
      .refine((p) => p.min <= p.max, "min <= max"),
    repair: ({ min, max }) => (min <= max ? { min, max } : { min: max, max: min }),
    describe: ({ min, max }) =>
      `My strategy will be to give a random share of my resources between ${pct(min)} and ${pct(max)}.`,
    donate: (_s, { min, max }, rng) => {
      const fraction = min + (max - min) * rng.float();
      return {
        decision: { kind: "donate", fraction },
        why: `random policy: drew ${pct(fraction)}.`,
      };
    },
  }),
};
