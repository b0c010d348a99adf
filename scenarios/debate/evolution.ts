import type { MindSpec } from "../../sim/core/minds.js";
import { agentId } from "../../sim/core/ids.js";
import {
  select as selectBy,
  selectionRule,
  type SelectionRule,
} from "../../sim/toolkit/selection.js";
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
 * Generations of debaters (the Donor Game's mechanism): after a block of questions the toolkit's
 * selection rule, scoring debaters by accuracy, decides who is replaced and whose offspring takes
 * the place (truncation: the best survive, every survivor a parent; death-birth, birth-death,
 * imitation: one neighbour of the place). The newcomer keeps the place's persona and trait and
 * writes its debating advice from its parents' advice (an LLM mind), or copies a parent's policy
 * parameters, mutated (a policy mind). `learning: neighbours` narrows the parents to those the
 * place hears: its graph in-neighbours.
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
  // It learns from its parents' advice (see `select`).
  const teachers = new Set(debater.parents);
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
            population.survivors
              ?.filter((s) => teachers.has(s.id))
              .map((s) => ({ advice: s.advice, accuracy: s.accuracy ?? 0 })) ?? null,
            ctx.config.evolution.update.rule === "truncation",
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
  /**
   * Whose advice newcomers may learn from, in ranking order: the survivors, and under a graph rule
   * any parent replaced after it bred (truncation's parents are all survivors).
   */
  teachers: string[];
  /**
   * The generation row's selection counts, present only with the settings that make them (so a
   * default run's metrics stay as they were); null in the last generation, which selects no one.
   */
  metrics: { strandedUpdates?: number | null; learningFallbacks?: number | null };
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
  const { enabled, survivorFraction, mutation, learning, update } = ctx.config.evolution;
  const selecting = enabled && !last;
  // Without a selection to make, truncation only ranks (a graph rule's draws would be wasted).
  const rule: SelectionRule = selecting
    ? selectionRule(update, survivorFraction)
    : { kind: "truncation", survivorFraction };
  const byId = new Map(population.debaters.map((d) => [d.id, d]));
  const bySlot = new Map(population.debaters.map((d) => [d.slot, d]));
  const around = new Map<string, string[]>();
  // The debaters whose replies a debater hears (its place's in-neighbours, as in society.ts): whom
  // it competes with and learns from. Worked out on demand: truncation with global learning
  // never asks.
  const neighbours = (id: string): string[] => {
    let ids = around.get(id);
    if (!ids) {
      const self = byId.get(id)!;
      ids = ctx.graph.inboundNeighbors(self.slot).flatMap((slot) => {
        const d = bySlot.get(slot);
        return d && d !== self ? [d.id] : [];
      });
      around.set(id, ids);
    }
    return ids;
  };
  // Ranked over a shuffled order: ties fall to chance, reproducibly.
  const order = rng.shuffle(population.debaters.map((d) => d.id));
  const { ranking, survivors, removed, parentsOf, stranded } = selectBy(rule, {
    order,
    score: (id) => scores.get(id)!,
    rng,
    neighbours,
  });
  let fallbacks = 0;
  const metrics = (): Selection["metrics"] => ({
    ...(enabled && update.rule !== "truncation"
      ? { strandedUpdates: selecting ? stranded : null }
      : {}),
    ...(enabled && learning === "neighbours"
      ? { learningFallbacks: selecting ? fallbacks : null }
      : {}),
  });
  if (!selecting)
    return { ranking, survivors: [], removed: [], newcomers: [], teachers: [], metrics: metrics() };
  const isPolicy = (id: string) => byId.get(id)!.mind.kind === "policy";
  const newcomers = removed.map((goneId, i): Debater => {
    const gone = byId.get(goneId)!;
    const place = {
      slot: gone.slot,
      ...(gone.label ? { label: gone.label } : {}),
      ...(gone.persona ? { persona: gone.persona } : {}),
      ...(gone.trait ? { trait: gone.trait } : {}),
    };
    const id = agentId(ctx.generation + 1, i + 1);
    // Whom the newcomer may learn from: the rule's parents (truncation: every survivor; a graph
    // rule: one neighbour of the place) that a place of its kind can learn from (a policy copies a
    // policy), narrowed under local learning to those it will hear; with none of those it learns
    // from them all, counted.
    let pool =
      gone.mind.kind === "policy"
        ? parentsOf.get(goneId)!.filter(isPolicy)
        : parentsOf.get(goneId)!;
    if (learning === "neighbours") {
      const heard = new Set(neighbours(goneId));
      const local = pool.filter((s) => heard.has(s));
      if (local.length > 0) pool = local;
      else fallbacks++;
    }
    if (gone.mind.kind === "llm")
      return {
        id,
        generation: ctx.generation + 1,
        parents: pool,
        mind: gone.mind,
        announced: false,
        ...place,
      };
    // No policy to copy: the place keeps its own, mutated.
    const parent = pool.length > 0 ? byId.get(rng.pick(pool))! : gone;
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
  const bred = new Set([...parentsOf.values()].map((parents) => parents[0]));
  const replaced = new Set(removed);
  const teachers =
    rule.kind === "truncation"
      ? survivors
      : ranking.filter((id) => bred.has(id) || !replaced.has(id));
  return { ranking, survivors, removed, newcomers, teachers, metrics: metrics() };
}

/**
 * The next generation's population: survivors stay in their places, newcomers take the others',
 * and the teachers' advice is kept for the newcomers to learn from.
 */
export function nextPopulation(
  population: DebatePopulation,
  questions: readonly QuestionRun[],
  selection: Selection,
): DebatePopulation {
  const bySlot = new Map(selection.newcomers.map((d) => [d.slot, d]));
  return {
    debaters: population.debaters.map((d) => bySlot.get(d.slot) ?? d),
    roles: population.roles,
    survivors: selection.teachers.map((id) => ({
      id,
      advice: population.debaters.find((d) => d.id === id)!.advice ?? "",
      accuracy: debaterAccuracy(questions, id).accuracy,
    })),
  };
}
