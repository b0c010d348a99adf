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
 * Term counts per text, remembered: a run refits on every text seen so far each generation, and
 * tokenising is most of that work. Bounded so a long-lived process (server, batch) does not grow.
 */
const COUNTS_LIMIT = 50_000;
const countsCache: Record<StopWords, Map<string, ReadonlyMap<string, number>>> = {
  english: new Map(),
  none: new Map(),
};

function termCounts(text: string, stopWords: StopWords): ReadonlyMap<string, number> {
  const cache = countsCache[stopWords];
  let counts = cache.get(text);
  if (!counts) {
    const fresh = new Map<string, number>();
    for (const term of tokenize(text, stopWords)) fresh.set(term, (fresh.get(term) ?? 0) + 1);
    if (cache.size >= COUNTS_LIMIT) cache.clear();
    cache.set(text, fresh);
    counts = fresh;
  }
  return counts;
}

/**
 * TfidfVectorizer with its defaults (raw counts, smooth_idf, no sublinear tf, L2 norm), fitted on
 * `corpus`: idf(t) = ln((1 + n) / (1 + df(t))) + 1.
 */
export class TfidfModel {
  private constructor(
    readonly vocabulary: ReadonlyMap<string, number>,
    readonly idf: readonly number[],
    private readonly stopWords: StopWords,
  ) {}

  static fit(corpus: readonly string[], stopWords: StopWords): TfidfModel {
    const vocabulary = new Map<string, number>();
    const df: number[] = [];
    for (const doc of corpus) {
      for (const term of termCounts(doc, stopWords).keys()) {
        let index = vocabulary.get(term);
        if (index === undefined) {
          index = vocabulary.size;
          vocabulary.set(term, index);
          df.push(0);
        }
        df[index]!++;
      }
    }
    const n = corpus.length;
    return new TfidfModel(
      vocabulary,
      df.map((d) => Math.log((1 + n) / (1 + d)) + 1),
      stopWords,
    );
  }

  /**
   * A text's vector; terms outside the fitted vocabulary are ignored, as in sklearn's transform.
   */
  transform(text: string): SparseVector {
    const counts = new Map<number, number>();
    let norm = 0;
    for (const [term, count] of termCounts(text, this.stopWords)) {
      const index = this.vocabulary.get(term);
      if (index === undefined) continue;
      const w = count * this.idf[index]!;
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
