import type { AuthoredText, TextMetricsOptions } from "./options.js";
import { cosine, tfidfVectors } from "./tfidf.js";

export interface LikelyParent {
  agentId: string;
  /** The author of the most similar previous text (the earlier one on a tie). */
  parent: string;
  similarity: number;
}

/**
 * Each current text's likely parent: the text of `previous` with the highest TF-IDF cosine, under
 * one vectorizer fitted on both generations' texts. Empty when `previous` is.
 */
export function likelyParents(
  current: readonly AuthoredText[],
  previous: readonly AuthoredText[],
  options: Pick<TextMetricsOptions, "stopWords">,
): LikelyParent[] {
  if (previous.length === 0) return [];
  const vectors = tfidfVectors(
    [...current, ...previous].map((t) => t.text),
    options.stopWords,
  );
  const prev = vectors.slice(current.length);
  return current.map((text, i) => {
    let best = 0;
    let bestSim = -Infinity;
    prev.forEach((v, j) => {
      const sim = cosine(vectors[i]!, v);
      if (sim > bestSim) {
        best = j;
        bestSim = sim;
      }
    });
    return { agentId: text.agentId, parent: previous[best]!.agentId, similarity: bestSim };
  });
}
