import type { Rng } from "../../sim/core/rng.js";

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
