import type { AuthoredText, TextMetricsOptions } from "./options.js";
import { smoothIdf, termCounts, termIdCount, type TermCounts } from "./tfidf.js";

export interface LikelyParent {
  agentId: string;
  /** The author of the most similar previous text (the earlier one on a tie). */
  parent: string;
  similarity: number;
}

/**
 * Dense per-term scratch arrays, zero between uses: document frequencies, idf and two vectors'
 * weights. Every agent fits its own vectorizer on the texts it received, thousands on a dense
 * graph, so maps per text would be most of the work.
 */
let df = new Float64Array(0);
let idf = new Float64Array(0);
let mine = new Float64Array(0);
let theirs = new Float64Array(0);

/** A text's L2-normalised weights under the current `idf`, in its term order (sklearn's). */
function weights({ ids, counts }: TermCounts): Float64Array {
  const w = new Float64Array(ids.length);
  let norm = 0;
  for (let k = 0; k < ids.length; k++) {
    w[k] = counts[k]! * idf[ids[k]!]!;
    norm += w[k]! * w[k]!;
  }
  norm = Math.sqrt(norm);
  // A text with no known term stays the zero vector (sklearn's normalize leaves it at zero).
  if (norm > 0) for (let k = 0; k < w.length; k++) w[k] = w[k]! / norm;
  return w;
}

/**
 * Each current text's likely parent: the text of `previous` with the highest TF-IDF cosine, under
 * one vectorizer fitted on both generations' texts. Empty when `previous` is. Cosines are summed
 * over the text with fewer terms, in its term order, as `cosine` does, so the bits are the same.
 */
export function likelyParents(
  current: readonly AuthoredText[],
  previous: readonly AuthoredText[],
  options: Pick<TextMetricsOptions, "stopWords">,
): LikelyParent[] {
  if (previous.length === 0) return [];
  const docs = [...current, ...previous].map((t) => termCounts(t.text, options.stopWords));
  if (df.length < termIdCount()) {
    const size = 2 * termIdCount();
    df = new Float64Array(size);
    idf = new Float64Array(size);
    mine = new Float64Array(size);
    theirs = new Float64Array(size);
  }
  for (const { ids } of docs) for (let k = 0; k < ids.length; k++) df[ids[k]!]!++;
  const n = docs.length;
  for (const { ids } of docs)
    for (let k = 0; k < ids.length; k++) idf[ids[k]!] = smoothIdf(n, df[ids[k]!]!);
  const prev = docs.slice(current.length).map((d) => ({ ids: d.ids, w: weights(d) }));
  const parents = current.map((text, i) => {
    const ids = docs[i]!.ids;
    const w = weights(docs[i]!);
    for (let k = 0; k < ids.length; k++) mine[ids[k]!] = w[k]!;
    let best = 0;
    let bestSim = -Infinity;
    for (let j = 0; j < prev.length; j++) {
      const p = prev[j]!;
      let sim = 0;
      if (ids.length <= p.ids.length) {
        for (let k = 0; k < p.ids.length; k++) theirs[p.ids[k]!] = p.w[k]!;
        for (let k = 0; k < ids.length; k++) sim += w[k]! * theirs[ids[k]!]!;
        for (let k = 0; k < p.ids.length; k++) theirs[p.ids[k]!] = 0;
      } else for (let k = 0; k < p.ids.length; k++) sim += p.w[k]! * mine[p.ids[k]!]!;
      if (sim > bestSim) [best, bestSim] = [j, sim];
    }
    for (let k = 0; k < ids.length; k++) mine[ids[k]!] = 0;
    return { agentId: text.agentId, parent: previous[best]!.agentId, similarity: bestSim };
  });
  for (const { ids } of docs) for (let k = 0; k < ids.length; k++) df[ids[k]!] = idf[ids[k]!] = 0;
  return parents;
}
