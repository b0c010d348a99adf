import {
  cosine,
  smoothIdf,
  termCounts,
  termIdCount,
  tfidfVectors,
  type SparseVector,
  type StopWords,
  type TermCounts,
} from "./tfidf.js";

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

/** An L2-normalised TF-IDF vector as parallel arrays over term ids, in the text's term order. */
export interface PackedVector {
  readonly ids: Int32Array;
  readonly weights: Float64Array;
}

/** Zero everywhere between dot products: the larger vector is spread over it by term id. */
let scratch = new Float64Array(0);

/**
 * Cosine of two packed vectors: their dot product, summed in the smaller one's term order as
 * `cosine` does for maps, so both give the same bits.
 */
export function dot(a: PackedVector, b: PackedVector): number {
  const [small, large] = a.ids.length <= b.ids.length ? [a, b] : [b, a];
  if (scratch.length < termIdCount()) scratch = new Float64Array(2 * termIdCount());
  for (let k = 0; k < large.ids.length; k++) scratch[large.ids[k]!] = large.weights[k]!;
  let sum = 0;
  for (let k = 0; k < small.ids.length; k++) sum += small.weights[k]! * scratch[small.ids[k]!]!;
  for (const id of large.ids) scratch[id] = 0;
  return sum;
}

/**
 * The cosine of `vector` with each of `vectors`: `vector` spread over term ids once, then one pass
 * over each other vector's terms (summed in that vector's term order).
 */
export function cosinesWith(vector: PackedVector, vectors: readonly PackedVector[]): Float64Array {
  if (scratch.length < termIdCount()) scratch = new Float64Array(2 * termIdCount());
  for (let k = 0; k < vector.ids.length; k++) scratch[vector.ids[k]!] = vector.weights[k]!;
  const out = new Float64Array(vectors.length);
  vectors.forEach((v, i) => {
    let sum = 0;
    for (let k = 0; k < v.ids.length; k++) sum += v.weights[k]! * scratch[v.ids[k]!]!;
    out[i] = sum;
  });
  for (const id of vector.ids) scratch[id] = 0;
  return out;
}

/**
 * For each vector, the sum of its cosines to the others, in linear time: v·(S − v) with S the sum
 * of all, term by term (exactly 0 for a text sharing no term with the others).
 */
export function cosinesToOthers(vectors: readonly PackedVector[]): number[] {
  const sum = new Float64Array(termIdCount());
  for (const v of vectors) for (let k = 0; k < v.ids.length; k++) sum[v.ids[k]!]! += v.weights[k]!;
  return vectors.map((v) => {
    let total = 0;
    for (let k = 0; k < v.ids.length; k++)
      total += v.weights[k]! * (sum[v.ids[k]!]! - v.weights[k]!);
    return total;
  });
}

/** What one generation's TF-IDF similarity metrics need, computed in one fit. */
export interface GenerationSimilarity {
  /** Mean cosine over the current generation's distinct pairs; null with fewer than 2 texts. */
  within: number | null;
  /** The same over all n² pairs, self-pairs included; null with no text. */
  withinSelf: number | null;
  /**
   * Index k: mean cosine over all pairs (current text, generation k + 1's text); the current
   * generation's entry is `withinSelf`; null when either generation has no text.
   */
  toGeneration: (number | null)[];
  /** The current generation's vectors, in text order. */
  current: PackedVector[];
  /** Any text's vector under the same fit. */
  vector(text: string): PackedVector;
}

/**
 * The similarity metrics of the last of `generations` in time linear in the texts seen: one
 * TF-IDF fit (sklearn's smooth idf over `fitCorpus`, default every text of `generations` and
 * `seeds`), then sums instead of pairs. For L2-normalised vectors cos(a, b) = a·b, so with S the
 * sum of the current generation's vectors and Q_t the sum of their squared weights of term t, the
 * distinct pairs add up to Σ_t (S_t² − Q_t) / 2, and a mean against generation k is Σ_k(v·S) /
 * (|k| n). Per term, S_t² − Q_t is exactly 0 when one text holds the term, so texts sharing no term
 * give exactly 0 as pair by pair; elsewhere the result equals the all-pairs mean to rounding
 * (the tests check 1e-12 against an all-pairs reference).
 */
export function generationSimilarity(
  generations: readonly (readonly string[])[],
  seeds: readonly string[],
  stopWords: StopWords,
  fitCorpus?: readonly string[],
): GenerationSimilarity {
  const counts = generations.map((texts) => texts.map((t) => termCounts(t, stopWords)));
  const fitCounts = (fitCorpus ?? [...generations.flat(), ...seeds]).map((t) =>
    termCounts(t, stopWords),
  );
  // After every text is tokenised, so every id fits.
  const size = termIdCount();
  const df = new Float64Array(size);
  for (const { ids } of fitCounts) for (const id of ids) df[id]!++;
  const n = fitCounts.length;
  const idf = new Float64Array(size);
  for (let id = 0; id < size; id++) if (df[id]! > 0) idf[id] = smoothIdf(n, df[id]!);

  const current = counts[counts.length - 1]!.map((c) => pack(c, idf));
  const sum = new Float64Array(size);
  const squares = new Float64Array(size);
  const touched: number[] = [];
  let self = 0;
  for (const v of current)
    for (let k = 0; k < v.ids.length; k++) {
      const [id, w] = [v.ids[k]!, v.weights[k]!];
      if (sum[id] === 0 && squares[id] === 0) touched.push(id);
      sum[id]! += w;
      squares[id]! += w * w;
      self += w * w;
    }
  let pairs = 0;
  for (const id of touched) pairs += sum[id]! * sum[id]! - squares[id]!;
  const size0 = current.length;
  const within = size0 < 2 ? null : pairs / (size0 * (size0 - 1));
  const withinSelf = size0 === 0 ? null : (pairs + self) / (size0 * size0);
  const toGeneration = counts.map((gen, g) => {
    if (g === counts.length - 1) return withinSelf;
    if (gen.length === 0 || size0 === 0) return null;
    let total = 0;
    for (const { ids, counts: tf } of gen) {
      let norm = 0;
      let along = 0;
      for (let k = 0; k < ids.length; k++) {
        const w = tf[k]! * idf[ids[k]!]!;
        norm += w * w;
        along += w * sum[ids[k]!]!;
      }
      if (norm > 0) total += along / Math.sqrt(norm);
    }
    return total / (gen.length * size0);
  });
  return {
    within,
    withinSelf,
    toGeneration,
    current,
    // Terms first seen after the fit have no idf entry: outside the vocabulary, like idf 0.
    vector: (text) => pack(termCounts(text, stopWords), idf),
  };
}

/** A text's L2-normalised vector under `idf` (terms it gives 0 are outside the vocabulary). */
function pack({ ids, counts }: TermCounts, idf: Float64Array): PackedVector {
  const keep: number[] = [];
  const weights: number[] = [];
  let norm = 0;
  for (let k = 0; k < ids.length; k++) {
    const w = counts[k]! * (idf[ids[k]!] ?? 0);
    if (w === 0) continue;
    keep.push(ids[k]!);
    weights.push(w);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  // A text with no known term stays the zero vector (sklearn's normalize leaves it at zero).
  return {
    ids: Int32Array.from(keep),
    weights: Float64Array.from(weights, (w) => w / norm),
  };
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
