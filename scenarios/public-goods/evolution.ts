import { agentId, type MindSpec, type PolicyRegistry, type Rng } from "../../sim/index.js";

/**
 * Reproduction between generations. Who is replaced is the toolkit's selection (`select` from the
 * public API, called in scenario.ts: truncation, or a graph rule that also draws each newborn's
 * parent); what each removed agent's slot gets is decided here.
 */

export interface PublicGoodsAgent {
  id: string;
  /** The generation the agent was born into. */
  generation: number;
  /** The graph node the agent occupies: the first agent's id on that node. */
  slot: string;
  parents: string[];
  mind: MindSpec;
  /** LLM newborns: the survivors' records they were told at birth (best first); null for none. */
  advice: Advice[] | null;
}

/** A survivor's record as newborn LLM minds are told it. */
export interface Advice {
  score: number;
  /**
   * Mean share of the endowment it contributed (answered decisions); null when it answered none.
   */
  fraction: number | null;
}

type PolicyMind = Extract<MindSpec, { kind: "policy" }>;

export interface Reproduction {
  agents: ReadonlyMap<string, PublicGoodsAgent>;
  /** Best first (the selection ranking), each survivor once. */
  survivors: readonly string[];
  /** In ranking order: the k-th removed agent's newborn is named `<generation + 1>_<k>`. */
  removed: readonly string[];
  /**
   * A graph rule's draw: each removed agent's single parent, a neighbour. Absent under truncation:
   * the parents are then chosen here.
   */
  parentsOf?: ReadonlyMap<string, readonly string[]>;
  scores: ReadonlyMap<string, number>;
  /** Mean contributed share per agent over its answered decisions (null: none answered). */
  fractions: ReadonlyMap<string, number | null>;
  /** This generation's neighbours by agent id. */
  neighbours: ReadonlyMap<string, readonly string[]>;
  generation: number;
  policies: PolicyRegistry;
  mutation: { rate: number; sd: number };
  rng: Rng;
}

/**
 * One newborn per removed agent, in its slot, with the slot's kind of mind:
 * - a policy slot copies the policy and parameters of the graph rule's parent when that is a policy
 *   agent; otherwise (and under truncation) of the best-scoring surviving policy agent among the
 *   removed agent's neighbours, else of the best-scoring surviving policy agent anywhere, else
 *   keeps the removed agent's own; the copy is mutated (`policyMutation`);
 * - an LLM slot keeps its profile; the newborn is told the score and mean contribution of each of
 *   its parents: every survivor under truncation, the rule's parent under a graph rule.
 */
export function reproduce(r: Reproduction): PublicGoodsAgent[] {
  const isPolicy = (id: string) => r.agents.get(id)!.mind.kind === "policy";
  const recordOf = (id: string): Advice => ({
    score: r.scores.get(id)!,
    fraction: r.fractions.get(id) ?? null,
  });
  const advice: Advice[] = r.survivors.map(recordOf);
  return r.removed.map((removedId, i) => {
    const gone = r.agents.get(removedId)!;
    const drawn = r.parentsOf?.get(removedId)?.[0];
    const base = {
      id: agentId(r.generation + 1, i + 1),
      generation: r.generation + 1,
      slot: gone.slot,
    };
    if (gone.mind.kind === "llm")
      return drawn === undefined
        ? { ...base, parents: [...r.survivors], mind: gone.mind, advice }
        : { ...base, parents: [drawn], mind: gone.mind, advice: [recordOf(drawn)] };
    const around = new Set(r.neighbours.get(removedId) ?? []);
    const parentId =
      drawn !== undefined && isPolicy(drawn)
        ? drawn
        : (r.survivors.find((id) => around.has(id) && isPolicy(id)) ??
          r.survivors.find(isPolicy) ??
          removedId);
    const parent = r.agents.get(parentId)!.mind as PolicyMind;
    const mutate = r.policies[parent.policy]?.mutate;
    const params = mutate ? mutate(parent.params, r.rng, r.mutation) : parent.params;
    return {
      ...base,
      parents: [parentId],
      mind: { kind: "policy", policy: parent.policy, params },
      advice: null,
    };
  });
}
