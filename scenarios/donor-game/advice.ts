import type { SocialGraph } from "../../sim/core/graph/social.js";
import type { Rng } from "../../sim/core/rng.js";

/** A strategy a learner can be shown: an agent's usable strategy and its score. */
export interface AdviceEntry {
  id: string;
  strategy: string;
  score: number;
}

/**
 * At most `max` of `items`, in their order: all of them when they are that few (no draws), else a
 * uniform sample without replacement (Floyd's algorithm: `max` draws, whatever the length).
 */
export function sampleInOrder<T>(items: readonly T[], max: number, rng: () => Rng): readonly T[] {
  if (items.length <= max) return items;
  const draws = rng();
  const picked = new Set<number>();
  for (let j = items.length - max; j < items.length; j++) {
    const t = draws.int(0, j);
    picked.add(picked.has(t) ? j : t);
  }
  return [...picked].sort((a, b) => a - b).map((i) => items[i]!);
}

/**
 * The entries of `pool` (in its order) whose agents sit at in-neighbours of `slot`, i.e. could
 * influence an agent there (`learning: neighbours`). `slotOf` gives an entry's agent's place. One
 * O(1) edge test per entry, so the complete graph needs no neighbour lists.
 */
export function neighbourAdvice(
  graph: SocialGraph,
  slot: string,
  pool: readonly AdviceEntry[],
  slotOf: (id: string) => string,
): AdviceEntry[] {
  return pool.filter((entry) => graph.hasEdge(slotOf(entry.id), slot));
}

/**
 * What a strategy prompt shows a learner: `mentor` (the parent a graph update rule drew) first
 * whenever there is one, then a sample of `others` in their order, `max` entries in all. `of`: how
 * many it was drawn from, for the prompt's "(K of their N strategies)".
 */
export function adviceShown(
  mentor: AdviceEntry | undefined,
  others: readonly AdviceEntry[],
  max: number,
  rng: () => Rng,
): { shown: readonly AdviceEntry[]; of: number } {
  if (!mentor) return { shown: sampleInOrder(others, max, rng), of: others.length };
  const rest = others.filter((e) => e.id !== mentor.id);
  return { shown: [mentor, ...sampleInOrder(rest, max - 1, rng)], of: rest.length + 1 };
}
