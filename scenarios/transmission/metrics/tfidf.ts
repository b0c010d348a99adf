import { ENGLISH_STOP_WORDS } from "./stop-words.js";

/** A sparse, L2-normalised TF-IDF vector: term index -> weight. */
export type SparseVector = ReadonlyMap<number, number>;

export type StopWords = "english" | "none";

/**
 * Python's `(?u)\b\w\w+\b` as scikit-learn applies it: maximal runs of two or more word characters
 * (Unicode letters, numbers and "_"; Python's `\w` leaves combining marks out, and so does this).
 */
const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** sklearn's analyzer: lowercase, tokenise, drop stop words. */
export function tokenize(text: string, stopWords: StopWords): string[] {
  const tokens = text.toLowerCase().match(TOKEN) ?? [];
  return stopWords === "english" ? tokens.filter((t) => !ENGLISH_STOP_WORDS.has(t)) : tokens;
}

/**
 * Every term ever tokenised gets a small integer id, so that fits and sums work on typed arrays
 * instead of string-keyed maps. The table grows with the distinct terms seen (a vocabulary), not
 * with the texts; ids are never reused, so a text's cached ids stay valid.
 */
const termIds = new Map<string, number>();
const termNames: string[] = [];

/** How many term ids exist: the size of a dense array indexed by term id. */
export const termIdCount = (): number => termNames.length;

/**
 * A text's terms in order of first occurrence, each with its count in the text. Sums over a text
 * follow that order, never the ids' (which depend on what the process tokenised first), so a
 * resumed run computes the same bits.
 */
export interface TermCounts {
  readonly ids: Int32Array;
  readonly counts: Float64Array;
}

/**
 * Term counts per text, remembered: a run refits on every text seen so far each generation, and
 * tokenising is most of that work. Bounded so a long-lived process (server, batch) does not grow;
 * the bound holds ten generations of 10,000 agents, so a large run does not retokenise its whole
 * history every generation.
 */
const COUNTS_LIMIT = 200_000;
const countsCache: Record<StopWords, Map<string, TermCounts>> = {
  english: new Map(),
  none: new Map(),
};

export function termCounts(text: string, stopWords: StopWords): TermCounts {
  const cache = countsCache[stopWords];
  let counts = cache.get(text);
  if (!counts) {
    const byId = new Map<number, number>();
    for (const term of tokenize(text, stopWords)) {
      let id = termIds.get(term);
      if (id === undefined) {
        id = termNames.length;
        termIds.set(term, id);
        termNames.push(term);
      }
      byId.set(id, (byId.get(id) ?? 0) + 1);
    }
    const ids = Int32Array.from(byId.keys());
    counts = { ids, counts: Float64Array.from(ids, (id) => byId.get(id)!) };
    if (cache.size >= COUNTS_LIMIT) cache.clear();
    cache.set(text, counts);
  }
  return counts;
}

/** scikit-learn's smooth idf of a term in `df` of `n` documents: ln((1 + n) / (1 + df)) + 1. */
export const smoothIdf = (n: number, df: number): number => Math.log((1 + n) / (1 + df)) + 1;

/**
 * TfidfVectorizer with its defaults (raw counts, smooth_idf, no sublinear tf, L2 norm), fitted on
 * `corpus`: idf(t) = ln((1 + n) / (1 + df(t))) + 1.
 */
export class TfidfModel {
  private constructor(
    readonly vocabulary: ReadonlyMap<string, number>,
    readonly idf: readonly number[],
    /** Term id -> vocabulary index. */
    private readonly index: ReadonlyMap<number, number>,
    private readonly stopWords: StopWords,
  ) {}

  static fit(corpus: readonly string[], stopWords: StopWords): TfidfModel {
    const index = new Map<number, number>();
    const df: number[] = [];
    for (const doc of corpus) {
      for (const id of termCounts(doc, stopWords).ids) {
        let i = index.get(id);
        if (i === undefined) {
          i = index.size;
          index.set(id, i);
          df.push(0);
        }
        df[i]!++;
      }
    }
    const n = corpus.length;
    const vocabulary = new Map([...index].map(([id, i]) => [termNames[id]!, i]));
    return new TfidfModel(
      vocabulary,
      df.map((d) => smoothIdf(n, d)),
      index,
      stopWords,
    );
  }

  /**
   * A text's vector; terms outside the fitted vocabulary are ignored, as in sklearn's transform.
   */
  transform(text: string): SparseVector {
    const { ids, counts: tf } = termCounts(text, this.stopWords);
    const counts = new Map<number, number>();
    let norm = 0;
    for (let k = 0; k < ids.length; k++) {
      const index = this.index.get(ids[k]!);
      if (index === undefined) continue;
      const w = tf[k]! * this.idf[index]!;
      counts.set(index, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    // A text with no known term stays the zero vector (sklearn's normalize leaves it at zero).
    if (norm > 0) for (const [index, w] of counts) counts.set(index, w / norm);
    return counts;
  }
}

/** fit_transform: the vectors of `corpus` under a model fitted on it. */
export function tfidfVectors(corpus: readonly string[], stopWords: StopWords): SparseVector[] {
  const model = TfidfModel.fit(corpus, stopWords);
  return corpus.map((doc) => model.transform(doc));
}

/** Cosine of two L2-normalised vectors (their dot product); 0 when either is the zero vector. */
export function cosine(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [index, w] of small) {
    const v = large.get(index);
    if (v !== undefined) dot += w * v;
  }
  return dot;
}
