/**
 * Selection between generations: which agents survive, which places are emptied, and whom each
 * emptied place's newcomer descends from. Scenario-neutral: it sees ids and scores only; what a
 * newcomer inherits (a mind, advice, mutated parameters) is the scenario's business.
 *
 * Rules (more will sit beside truncation, e.g. death-birth, birth-death and imitation):
 * - truncation: rank by score, highest first, ties in `order`; the top `survivorFraction` (at least
 * one) survive, the rest are removed, and each removed agent's newcomer has all survivors as
 * parents.
 */
import type { Rng } from "../core/rng.js";

export type SelectionRule = { kind: "truncation"; survivorFraction: number };

export interface SelectionInput {
  /** The population's ids in tie-breaking order (e.g. the generation's shuffled order). */
  order: readonly string[];
  /** Each id's score; higher is fitter. */
  score: (id: string) => number;
  /** Draws for rules that draw (truncation does not). */
  rng: Rng;
}

export interface SelectionOutcome {
  /** Every id, fittest first (ties in `order`). */
  ranking: string[];
  /** In ranking order. */
  survivors: string[];
  /** In ranking order. */
  removed: string[];
  /**
   * For each removed id: the parents of the newcomer that takes its place. Truncation gives every
   * newcomer the same parents, so they share one frozen list (a copy each would hold survivors x
   * removed ids: 25 million at 10,000 agents); copy it to change it.
   */
  parentsOf: Map<string, string[]>;
}

export function select(rule: SelectionRule, input: SelectionInput): SelectionOutcome {
  switch (rule.kind) {
    case "truncation":
      return truncation(rule.survivorFraction, input);
  }
}

function truncation(survivorFraction: number, { order, score }: SelectionInput): SelectionOutcome {
  // A stable sort over `order`: ties keep that order.
  const ranking = [...order].sort((a, b) => score(b) - score(a));
  const keep = Math.max(1, Math.floor(order.length * survivorFraction));
  const survivors = ranking.slice(0, keep);
  const removed = ranking.slice(keep);
  const parents = Object.freeze([...survivors]) as string[];
  return { ranking, survivors, removed, parentsOf: new Map(removed.map((id) => [id, parents])) };
}
