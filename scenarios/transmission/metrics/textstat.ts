import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * textstat 0.7.3's `gunning_fog` (textstat/textstat.py), the telephone-game follow-up's difficulty
 * measure, with Pyphen 0.15.0's en_US syllable count: the versions TelephoneGameLLM pins. Ported
 * rule by rule, quirks included, so that `transmission.metrics.reference: telephone` gives the
 * numbers the paper's code gives; data/README.md says where the two data files come from.
 */

const DATA = join(dirname(fileURLToPath(import.meta.url)), "data");

/** Python's `\w` on str: letters, numbers (every Unicode category N) and the underscore. */
const W = "\\p{L}\\p{N}_";

/** textstat's remove_punctuation with rm_apostrophe (its default): drop `[^\w\s]`. */
const removePunctuation = (text: string): string =>
  text.replace(new RegExp(`[^${W}\\s]`, "gu"), "");

/** Python's str.split(): runs of white space, no empty pieces. */
const splitWhite = (text: string): string[] => text.split(/\s+/u).filter((s) => s !== "");

/** textstat's lexicon_count: words of the text with its punctuation removed. */
export function lexiconCount(text: string): number {
  return splitWhite(removePunctuation(text)).length;
}

/** Python's `\b` (Unicode word characters), which JavaScript's `\b` is not even with the u flag. */
const SENTENCE = new RegExp(`(?:(?<=[${W}])(?![${W}])|(?<![${W}])(?=[${W}]))[^.!?]+[.!?]*`, "gu");

/**
 * textstat's sentence_count: `\b[^.!?]+[.!?]*` pieces, those of two words or fewer not counted, at
 * least 1.
 */
export function sentenceCount(text: string): number {
  const pieces = text.match(SENTENCE) ?? [];
  return Math.max(1, pieces.filter((s) => lexiconCount(s) > 2).length);
}

/** textstat's _legacy_round: half away from zero on the scaled value, as floor(x·p ± 0.5) / p. */
export function legacyRound(x: number, points: number): number {
  const p = 10 ** points;
  return Math.floor(x * p + (x < 0 || Object.is(x, -0) ? -0.5 : 0.5)) / p;
}

interface Patterns {
  /** Tag string (code points) -> offset of the first non-zero value and the values from there. */
  table: Map<string, { offset: number; values: number[] }>;
  /** Longest tag, in code points. */
  maxLength: number;
}

let patterns: Patterns | undefined;

/**
 * Pyphen's HyphDict: the first line names the encoding (UTF-8 here), header keywords are skipped,
 * each pattern is split by `(\d?)(\D?)` into tags and values and stored unless all its values are
 * 0. The en_US file has no `^^hh` escapes and no nonstandard `/` alternatives, which this therefore
 * leaves out.
 */
function loadPatterns(): Patterns {
  if (patterns) return patterns;
  const ignored = [
    "%",
    "#",
    "LEFTHYPHENMIN",
    "RIGHTHYPHENMIN",
    "COMPOUNDLEFTHYPHENMIN",
    "COMPOUNDRIGHTHYPHENMIN",
  ];
  const table: Patterns["table"] = new Map();
  let maxLength = 0;
  const lines = readFileSync(join(DATA, "hyph_en_US.dic"), "utf8").split("\n").slice(1);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || ignored.some((p) => line.startsWith(p))) continue;
    if (line.includes("/") || line.includes("^^"))
      throw new Error(`hyph_en_US.dic: unsupported pattern ${JSON.stringify(line)}`);
    const tags: string[] = [];
    const values: number[] = [];
    for (const [, digit, tag] of line.matchAll(/(\d?)(\D?)/gu)) {
      tags.push(tag!);
      values.push(Number(digit || "0"));
    }
    if (Math.max(...values) === 0) continue;
    let start = 0;
    let end = values.length;
    while (!values[start]) start++;
    while (!values[end - 1]) end--;
    const tag = tags.join("");
    table.set(tag, { offset: start, values: values.slice(start, end) });
    maxLength = Math.max(maxLength, [...tag].length);
  }
  patterns = { table, maxLength };
  return patterns;
}

/**
 * Pyphen(lang="en_US").positions(word): Liang's odd points of `.word.`, kept when at least 2 code
 * points from either end (Pyphen's left=2, right=2 defaults, not the file's RIGHTHYPHENMIN 3).
 */
export function hyphenPositions(word: string): number[] {
  const { table, maxLength } = loadPatterns();
  const chars = [...`.${word.toLowerCase()}.`];
  const references = new Array<number>(chars.length + 1).fill(0);
  for (let i = 0; i < chars.length - 1; i++) {
    const stop = Math.min(i + maxLength, chars.length) + 1;
    for (let j = i + 1; j < stop; j++) {
      const pattern = table.get(chars.slice(i, j).join(""));
      if (!pattern) continue;
      pattern.values.forEach((v, k) => {
        const at = i + pattern.offset + k;
        references[at] = Math.max(references[at]!, v);
      });
    }
  }
  const right = chars.length - 2 - 2;
  const out: number[] = [];
  references.forEach((r, i) => {
    if (r % 2 === 1 && i - 1 >= 2 && i - 1 <= right) out.push(i - 1);
  });
  return out;
}

/** textstat's syllable_count: per word of the lowercased, unpunctuated text, positions + 1. */
export function textstatSyllables(text: string): number {
  return splitWhite(removePunctuation(text.toLowerCase())).reduce(
    (n, w) => n + hyphenPositions(w).length + 1,
    0,
  );
}

let easyWords: ReadonlySet<string> | undefined;
const easy = (): ReadonlySet<string> =>
  (easyWords ??= new Set(
    readFileSync(join(DATA, "textstat-easy_words.txt"), "utf8")
      .split("\n")
      .map((l) => l.trim()),
  ));

/**
 * textstat's difficult_words_list(text, 3): the DISTINCT lowercased `[\w='‘’]+` tokens that are not
 * Dale–Chall easy words and have 3 or more syllables (a repeated hard word counts once).
 */
export function difficultWords(text: string): string[] {
  const tokens = new Set(text.toLowerCase().match(new RegExp(`[${W}='‘’]+`, "gu")) ?? []);
  return [...tokens].filter((w) => !easy().has(w) && textstatSyllables(w) >= 3);
}

/**
 * textstat.gunning_fog: 0.4 × (average sentence length rounded to 1 decimal + 100 × distinct
 * difficult words / words), rounded to 2 decimals; 0 for a text without words (its
 * ZeroDivisionError branch).
 */
export function textstatGunningFog(text: string): number {
  const words = lexiconCount(text);
  if (words === 0) return 0;
  const averageSentence = legacyRound(words / sentenceCount(text), 1);
  return legacyRound(0.4 * (averageSentence + (difficultWords(text).length / words) * 100), 2);
}
