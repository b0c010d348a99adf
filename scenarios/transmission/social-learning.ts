import type { SocialGraph as Graph } from "../../sim/core/graph/index.js";
import type { Rng } from "../../sim/core/rng.js";
import type { TransmissionConfig } from "./config.js";
import { cosinesToOthers, generationSimilarity } from "./metrics/similarity.js";

/** A text an agent may receive: the previous generation's text written at a neighbouring slot. */
export interface Candidate {
  slot: string;
  /** Who wrote it. */
  authorId: string;
  text: string;
}

type SocialLearning = TransmissionConfig["socialLearning"];

/**
 * The slots whose texts reach `slot`: its in-neighbours (directed in-edges and undirected edges),
 * in the graph's order.
 */
export function inNeighbours(graph: Graph, slot: string): string[] {
  return graph.inboundNeighbors(slot).filter((n) => n !== slot);
}

/** The weight of the edge bringing `from`'s text to `to` (1 when unweighted). */
export function edgeWeight(graph: Graph, from: string, to: string): number {
  return graph.edgeWeight(from, to) ?? 1;
}

/**
 * Which of the candidates an agent at `slot` receives, in prompt order: the sample or the prestige
 * choice (drawn from `rng`), ordered by `inputOrder`, then reduced to the most typical text under
 * conformity. Candidates arrive in the graph's neighbour order.
 */
export function chooseInputs(
  candidates: readonly Candidate[],
  context: {
    graph: Graph;
    slot: string;
    /** Position of each slot in the population. */
    slotIndex: ReadonlyMap<string, number>;
    /** Likely-parent counts of each slot's text in the last generation (prestige by influence). */
    influence: Readonly<Record<string, number>>;
    rng: Rng;
    social: SocialLearning;
    inputOrder: TransmissionConfig["inputOrder"];
    stopWords: TransmissionConfig["metrics"]["stopWords"];
  },
): Candidate[] {
  const { graph, slot, slotIndex, social, rng } = context;
  const bySlot = (a: Candidate, b: Candidate) => slotIndex.get(a.slot)! - slotIndex.get(b.slot)!;
  let chosen = [...candidates];
  if (social.sample !== undefined && chosen.length > social.sample)
    chosen = rng.shuffle(chosen).slice(0, social.sample);
  if (social.prestige) {
    const { by, select, k } = social.prestige;
    const prestige = (c: Candidate): number =>
      by === "degree"
        ? graph.degree(c.slot)
        : by === "weight"
          ? edgeWeight(graph, c.slot, slot)
          : (context.influence[c.slot] ?? 0) + 1;
    chosen =
      select === "top"
        ? [...chosen].sort((a, b) => prestige(b) - prestige(a) || bySlot(a, b)).slice(0, k)
        : weightedDraw(chosen, prestige, k, rng);
  }
  if (context.inputOrder === "slot") chosen.sort(bySlot);
  else if (context.inputOrder === "weight")
    chosen.sort(
      (a, b) => edgeWeight(graph, b.slot, slot) - edgeWeight(graph, a.slot, slot) || bySlot(a, b),
    );
  else {
    const position = new Map(candidates.map((c, i) => [c.slot, i]));
    chosen.sort((a, b) => position.get(a.slot)! - position.get(b.slot)!);
  }
  if (social.conformity && chosen.length > 2) chosen = [mostTypical(chosen, context.stopWords)];
  return chosen;
}

/** k items drawn without replacement, each with probability proportional to its weight. */
function weightedDraw<T>(
  items: readonly T[],
  weight: (item: T) => number,
  k: number,
  rng: Rng,
): T[] {
  const pool = items.map((item) => ({ item, w: Math.max(0, weight(item)) }));
  const out: T[] = [];
  while (out.length < k && pool.length > 0) {
    const total = pool.reduce((s, p) => s + p.w, 0);
    let at = total > 0 ? rng.float() * total : 0;
    let index = total > 0 ? pool.findIndex((p) => (at -= p.w) < 0) : rng.int(0, pool.length - 1);
    if (index < 0) index = pool.length - 1;
    out.push(pool.splice(index, 1)[0]!.item);
  }
  return out;
}

/**
 * The text with the highest mean TF-IDF cosine to the others (the first on a tie), through sums
 * rather than every pair: a complete graph hands each agent every text.
 */
function mostTypical(
  texts: readonly Candidate[],
  stopWords: TransmissionConfig["metrics"]["stopWords"],
): Candidate {
  const { current } = generationSimilarity([texts.map((t) => t.text)], [], stopWords);
  let best = 0;
  let bestScore = -Infinity;
  cosinesToOthers(current).forEach((score, i) => {
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  return texts[best]!;
}

/**
 * The slots whose agents leave after a generation: round(fraction * n) of them, drawn from `rng`,
 * in population order.
 */
export function turnoverSlots(slots: readonly string[], fraction: number, rng: Rng): string[] {
  const count = Math.round(fraction * slots.length);
  if (count === 0) return [];
  const leaving = new Set(rng.shuffle(slots).slice(0, count));
  return slots.filter((s) => leaving.has(s));
}
