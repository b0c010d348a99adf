import { cosine, tfidfVectors, type SparseVector, type StopWords } from "./tfidf.js";

/**
 * Σ of vectors: for L2-normalised vectors cos(a, b) = a·b, so a mean over all pairs of two sets is
 * (Σa)·(Σb) / (|A||B|).
 */
function sum(vectors: readonly SparseVector[]): SparseVector {
  const total = new Map<number, number>();
  for (const v of vectors)
    for (const [index, w] of v) total.set(index, (total.get(index) ?? 0) + w);
  return total;
}

/**
 * Mean cosine over the pairs of `vectors`: distinct pairs only, or every (i, j) including i = j
 * (a self-pair is 1, or 0 for a text without a known term). Pair by pair rather than through sums,
 * so texts sharing no term give exactly 0.
 */
export function meanPairwise(
  vectors: readonly SparseVector[],
  includeSelf: boolean,
): number | null {
  const n = vectors.length;
  if (n === 0 || (!includeSelf && n < 2)) return null;
  let distinct = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) distinct += cosine(vectors[i]!, vectors[j]!);
  if (!includeSelf) return distinct / ((n * (n - 1)) / 2);
  const self = vectors.reduce((s, v) => s + cosine(v, v), 0);
  return (2 * distinct + self) / (n * n);
}

/** Mean cosine over every pair (a in `as`, b in `bs`), through the sums (linear in the texts). */
export function meanCross(as: readonly SparseVector[], bs: readonly SparseVector[]): number | null {
  if (as.length === 0 || bs.length === 0) return null;
  return cosine(sum(as), sum(bs)) / (as.length * bs.length);
}

/**
 * LLM-Culture's between-generation similarity matrix (llm_culture/analysis/utils.py): one
 * vectorizer fitted on every story of the run, entry [i][j] = mean cosine over all pairs of
 * generation i's and generation j's stories, self-pairs included on the diagonal.
 */
export function betweenGenerationMatrix(
  generations: readonly (readonly string[])[],
  stopWords: StopWords,
): (number | null)[][] {
  const vectors = tfidfVectors(generations.flat(), stopWords);
  const byGeneration: SparseVector[][] = [];
  let offset = 0;
  for (const texts of generations) {
    byGeneration.push(vectors.slice(offset, offset + texts.length));
    offset += texts.length;
  }
  return byGeneration.map((a) => byGeneration.map((b) => meanCross(a, b)));
}
