import { syllable } from "syllable";

/**
 * Words: runs of letters and digits, with inner apostrophes and hyphens ("don't", "well-known").
 */
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

/**
 * Sentences: text split after ".", "!" or "?" (runs of them, with closing quotes or brackets)
 * followed by white space or the end; pieces without a word are dropped. A text with words but no
 * final punctuation is one sentence. Abbreviations ("Mr. Smith") do split: Gunning fog is coarse
 * anyway.
 */
export function sentences(text: string): string[] {
  return text.split(/(?<=[.!?]+["'”’)\]]*)\s+/u).filter((s) => words(s).length > 0);
}

/**
 * Syllables per word, remembered: words recur across a generation's texts, and the count (with its
 * inflection rules) costs far more than a lookup. Bounded like the term counts.
 */
const SYLLABLES_LIMIT = 100_000;
const syllableCache = new Map<string, number>();
function syllables(word: string): number {
  let count = syllableCache.get(word);
  if (count === undefined) {
    count = syllable(word);
    if (syllableCache.size >= SYLLABLES_LIMIT) syllableCache.clear();
    syllableCache.set(word, count);
  }
  return count;
}

/**
 * Gunning fog index: 0.4 × (words / sentences + 100 × complex words / words), complex = three or
 * more syllables (the `syllable` package's count). Null for a text without words.
 */
export function gunningFog(text: string): number | null {
  const ws = words(text);
  if (ws.length === 0) return null;
  const complex = ws.filter((w) => syllables(w) >= 3).length;
  return 0.4 * (ws.length / sentences(text).length + (100 * complex) / ws.length);
}
