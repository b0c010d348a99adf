import { dot, type PackedVector } from "./similarity.js";

/**
 * Distinct clusters among `vectors`: connected components of the graph linking two texts whose
 * cosine is at least `threshold` (single linkage).
 *
 * Exact without comparing every pair (all-pairs similarity search with prefix filtering, Bayardo et
 * al. 2007): each vector's terms are ordered most frequent first, and only the terms after its
 * longest prefix of norm below the threshold are indexed. Since vectors have norm at most 1, x·y ≥
 * threshold needs x to share an indexed term of y (the prefix alone gives less than the threshold),
 * so only such pairs are compared, and not even those when union-find already joined them. Common
 * terms, which would make every pair a candidate, mostly stay in the unindexed prefixes.
 */
export function clusterCount(vectors: readonly PackedVector[], threshold: number): number {
  const n = vectors.length;
  // Every cosine is at least 0 (TF-IDF weights are non-negative), so every pair is linked.
  if (threshold <= 0) return Math.min(n, 1);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const df = new Map<number, number>();
  for (const v of vectors) for (const id of v.ids) df.set(id, (df.get(id) ?? 0) + 1);
  // A little under the threshold, so that rounding in the prefix norm never hides a linked pair.
  const bound = threshold * threshold * (1 - 1e-9);
  const postings = new Map<number, number[]>();
  const seen = new Int32Array(n).fill(-1);
  let clusters = n;
  for (let x = 0; x < n; x++) {
    const v = vectors[x]!;
    const candidates: number[] = [];
    for (const id of v.ids) {
      for (const y of postings.get(id) ?? []) {
        if (seen[y] === x) continue;
        seen[y] = x;
        candidates.push(y);
      }
    }
    for (const y of candidates) {
      const [a, b] = [root(x), root(y)];
      if (a === b || dot(v, vectors[y]!) < threshold) continue;
      parent[a] = b;
      clusters--;
    }
    // Index x's terms after its unindexed prefix (most frequent terms first).
    const order = Array.from(v.ids.keys()).sort(
      (i, j) => df.get(v.ids[j]!)! - df.get(v.ids[i]!)! || i - j,
    );
    let prefix = 0;
    for (const k of order) {
      const w = v.weights[k]!;
      if (prefix + w * w < bound) {
        prefix += w * w;
        continue;
      }
      // Past the prefix: every later term is indexed, even one small enough to fit in it.
      prefix = Infinity;
      const id = v.ids[k]!;
      const list = postings.get(id);
      if (list) list.push(x);
      else postings.set(id, [x]);
    }
  }
  return clusters;
}
