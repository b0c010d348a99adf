import type { MindSpec } from "../../sim/core/minds.js";
import { agentId } from "../../sim/core/ids.js";
import { select as selectBy } from "../../sim/toolkit/selection.js";
import { DEBATE_POLICIES } from "./policies.js";
import { advicePrompt, systemPrompt } from "./prompts.js";
import { READERS } from "./replies.js";
import { ADVICE_SCHEMA } from "./schemas.js";
import {
  type Ctx,
  type DebatePopulation,
  type Debater,
  type QuestionRun,
  keepWhole,
  replyOf,
} from "./work.js";

/**
 * Generations of debaters (the Donor Game's mechanism): after a block of questions the best
 * debaters by accuracy survive; each of the others is replaced in its place by a newcomer who
 * keeps the place's persona and trait and writes its debating advice from the survivors' advice
 * (an LLM mind), or copies a surviving policy debater's parameters, mutated (a policy mind).
 */

/**
 * Each debater's share of scorable questions it ended (its last reply) answering correctly; null
 * with none scorable. This is the selection score: a last reply with no readable answer is not a
 * correct one (`unreadable` says how many there were), so selection never favours unreadable
 * debaters.
 */
export function debaterAccuracy(
  questions: readonly QuestionRun[],
  id: string,
): { correct: number; scored: number; unreadable: number; accuracy: number | null } {
  let correct = 0;
  let scored = 0;
  let unreadable = 0;
  for (const qr of questions) {
    const reply = qr.latest.get(id);
    if (!reply || reply.correct === null) continue;
    scored++;
    if (reply.correct) correct++;
    if (reply.answer === null) unreadable++;
  }
  return { correct, scored, unreadable, accuracy: scored === 0 ? null : correct / scored };
}

/**
 * Advice for a debater that has none yet (newcomers; everyone in generation 1), when generations
 * are on. False when the reply held no usable advice (or none came): the debater then has none
 * ("").
 */
export async function writeAdvice(
  ctx: Ctx,
  population: DebatePopulation,
  debater: Debater,
): Promise<boolean> {
  const { reading: advice } = await replyOf(
    ctx,
    {
      agentId: debater.id,
      mind: debater.mind,
      purpose: "advice",
      messages: () => [
        {
          role: "system",
          content: systemPrompt(debater.id, population.debaters.length, {
            ...debater,
            advice: undefined,
          }),
        },
        {
          role: "user",
          content: advicePrompt(
            population.survivors?.map((s) => ({ advice: s.advice, accuracy: s.accuracy ?? 0 })) ??
              null,
          ),
        },
      ],
      state: { reading: ctx.config.answerReading },
      rng: ctx.rng("mind", debater.id, ctx.generation, "advice"),
      fit: keepWhole,
      schema: ADVICE_SCHEMA,
    },
    READERS.advice,
    null,
  );
  debater.advice = advice ?? "";
  return advice !== null;
}

export interface Selection {
  ranking: string[];
  survivors: string[];
  removed: string[];
  newcomers: Debater[];
}

export function select(
  ctx: Ctx,
  population: DebatePopulation,
  questions: readonly QuestionRun[],
  last: boolean,
): Selection {
  const rng = ctx.rng("selection", ctx.generation);
  // Worked out once per debater, not on every comparison of the sort.
  const scores = new Map(
    population.debaters.map((d) => [d.id, debaterAccuracy(questions, d.id).accuracy ?? 0]),
  );
  const { enabled, survivorFraction, mutation } = ctx.config.evolution;
  // Ranked over a shuffled order: ties fall to chance, reproducibly.
  const order = rng.shuffle(population.debaters.map((d) => d.id));
  const { ranking, survivors, removed, parentsOf } = selectBy(
    { kind: "truncation", survivorFraction },
    { order, score: (id) => scores.get(id)!, rng },
  );
  if (!enabled || last) return { ranking, survivors: [], removed: [], newcomers: [] };
  const byId = new Map(population.debaters.map((d) => [d.id, d]));
  const newcomers = removed.map((goneId, i): Debater => {
    const gone = byId.get(goneId)!;
    const place = {
      slot: gone.slot,
      ...(gone.label ? { label: gone.label } : {}),
      ...(gone.persona ? { persona: gone.persona } : {}),
      ...(gone.trait ? { trait: gone.trait } : {}),
    };
    const id = agentId(ctx.generation + 1, i + 1);
    const parents = parentsOf.get(goneId)!;
    if (gone.mind.kind === "llm")
      return {
        id,
        generation: ctx.generation + 1,
        parents,
        mind: gone.mind,
        announced: false,
        ...place,
      };
    const candidates = parents.map((s) => byId.get(s)!).filter((d) => d.mind.kind === "policy");
    const parent = candidates.length > 0 ? rng.pick(candidates) : gone;
    const mind = parent.mind as Extract<MindSpec, { kind: "policy" }>;
    const mutate = DEBATE_POLICIES[mind.policy]!.mutate;
    const params = mutate ? mutate(mind.params, rng, mutation) : mind.params;
    return {
      id,
      generation: ctx.generation + 1,
      parents: [parent.id],
      mind: { kind: "policy", policy: mind.policy, params },
      announced: false,
      ...place,
    };
  });
  return { ranking, survivors, removed, newcomers };
}

/** The next generation's population: survivors stay in their places, newcomers take the others'. */
export function nextPopulation(
  population: DebatePopulation,
  questions: readonly QuestionRun[],
  selection: Selection,
): DebatePopulation {
  const bySlot = new Map(selection.newcomers.map((d) => [d.slot, d]));
  return {
    debaters: population.debaters.map((d) => bySlot.get(d.slot) ?? d),
    roles: population.roles,
    survivors: selection.survivors.map((id) => ({
      id,
      advice: population.debaters.find((d) => d.id === id)!.advice ?? "",
      accuracy: debaterAccuracy(questions, id).accuracy,
    })),
  };
}
