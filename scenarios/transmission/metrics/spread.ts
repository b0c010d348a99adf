import type { SocialGraph } from "../../../sim/core/graph/social.js";
import type { Rng } from "../../../sim/core/rng.js";
import { HopDistances } from "../../../sim/toolkit/network-metrics.js";
import { mean } from "../../../sim/toolkit/stats.js";
import { linearFit } from "./attractors.js";
import { cosinesWith, type PackedVector } from "./similarity.js";

/** Distances 0..SPREAD_DISTANCES get a key each; farther nodes are left out. */
const SPREAD_DISTANCES = 5;

/** A text placed on the graph: the slot (node) it was written at. */
export interface PlacedText {
  slot: string;
  text: string;
}

/** The keys of the spread metrics, in row order. */
const SPREAD_KEYS = [
  ...Array.from({ length: SPREAD_DISTANCES + 1 }, (_, d) => `originSimilarityAtDistance${d}`),
  "originSimilaritySlope",
];

/** Every spread key null: generation 1, before any text has been passed on. */
export const noSpread = (): Record<string, null> =>
  Object.fromEntries(SPREAD_KEYS.map((key) => [key, null]));

/**
 * How far each generation-1 text (a variant, originating at its slot) has spread over the graph:
 * for d = 0..SPREAD_DISTANCES, the mean cosine between the current texts at hop distance d from the
 * origin (along out-edges, the way texts travel) and the origin's generation-1 text, averaged over
 * the origins that have a current text at that distance (null when none has); and the
 * least-squares slope of those means over d (null below two distances). At most `maxOrigins`
 * origins, drawn from `rng` when there are more: one breadth-first search to depth
 * SPREAD_DISTANCES and one cosine per text it reaches each, so the cost is linear in the graph and
 * the texts times `maxOrigins`, not quadratic in the population.
 */
export function originSimilarity(
  graph: SocialGraph,
  origins: readonly PlacedText[],
  current: readonly PlacedText[],
  vector: (text: string) => PackedVector,
  maxOrigins: number,
  rng: Rng,
): Record<string, number | null> {
  const chosen =
    origins.length <= maxOrigins
      ? origins
      : rng
          .shuffle(origins.map((_, i) => i))
          .slice(0, maxOrigins)
          .sort((a, b) => a - b)
          .map((i) => origins[i]!);
  const hops = new HopDistances(graph);
  const at = current.map((t) => hops.indexOf(t.slot)!);
  const vectors = current.map((t) => vector(t.text));
  // Per distance, each origin's mean over its texts at that distance.
  const perDistance: number[][] = Array.from({ length: SPREAD_DISTANCES + 1 }, () => []);
  for (const origin of chosen) {
    const distance = hops.from(origin.slot, SPREAD_DISTANCES);
    const reached = at.flatMap((node, i) => (distance[node]! < 0 ? [] : [i]));
    const cosines = cosinesWith(
      vector(origin.text),
      reached.map((i) => vectors[i]!),
    );
    const sums = new Float64Array(SPREAD_DISTANCES + 1);
    const counts = new Int32Array(SPREAD_DISTANCES + 1);
    reached.forEach((i, k) => {
      const d = distance[at[i]!]!;
      sums[d]! += cosines[k]!;
      counts[d]!++;
    });
    counts.forEach((count, d) => {
      if (count > 0) perDistance[d]!.push(sums[d]! / count);
    });
  }
  const means = perDistance.map((xs) => mean(xs));
  const defined = means.flatMap((m, d) => (m === null ? [] : [[d, m] as const]));
  const fit = linearFit(
    defined.map(([d]) => d),
    defined.map(([, m]) => m),
  );
  const values: Record<string, number | null> = {};
  means.forEach((m, d) => (values[SPREAD_KEYS[d]!] = m));
  values.originSimilaritySlope = fit?.slope ?? null;
  return values;
}
