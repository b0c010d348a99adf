import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { roundHalfEven } from "../../../sim/toolkit/stats.js";

/**
 * NLTK 3.8.1's VADER (`nltk/sentiment/vader.py`, `SentimentIntensityAnalyzer.polarity_scores`) with
 * NLTK's own lexicon (`data/nltk-vader_lexicon.txt`, from nltk_data's `vader_lexicon.zip`): the
 * telephone-game follow-up's positivity (TelephoneGameLLM pins nltk 3.8.1). Ported rule by rule,
 * quirks included: negation words are matched lowercased (so "NOT" negates), every occurrence of a
 * repeated word is scored in the context of its FIRST occurrence (`list.index`), the lexicon has no
 * emoji, and scores are rounded as Python's round() does.
 */

const DATA = join(dirname(fileURLToPath(import.meta.url)), "data");

export interface VaderScores {
  neg: number;
  neu: number;
  pos: number;
  compound: number;
}

const B_INCR = 0.293;
const B_DECR = -0.293;
const C_INCR = 0.733;
const N_SCALAR = -0.74;

const NEGATE = new Set(
  (
    "aint arent cannot cant couldnt darent didnt doesnt ain't aren't can't couldn't daren't " +
    "didn't doesn't dont hadnt hasnt havent isnt mightnt mustnt neither don't hadn't hasn't " +
    "haven't isn't mightn't mustn't neednt needn't never none nope nor not nothing nowhere " +
    "oughtnt shant shouldnt uhuh wasnt werent oughtn't shan't shouldn't uh-uh wasn't weren't " +
    "without wont wouldnt won't wouldn't rarely seldom despite"
  ).split(" "),
);

const BOOSTER_DICT = new Map<string, number>([
  ...(
    "absolutely amazingly awfully completely considerably decidedly deeply effing enormously " +
    "entirely especially exceptionally extremely fabulously flipping flippin fricking frickin " +
    "frigging friggin fully fucking greatly hella highly hugely incredibly intensely majorly more " +
    "most particularly purely quite really remarkably so substantially thoroughly totally " +
    "tremendously uber unbelievably unusually utterly very"
  )
    .split(" ")
    .map((w): [string, number] => [w, B_INCR]),
  ...[
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginally",
    "occasionally",
    "partly",
    "scarcely",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
  ].map((w): [string, number] => [w, B_DECR]),
]);

const SPECIAL_CASE_IDIOMS = new Map<string, number>([
  ["the shit", 3],
  ["the bomb", 3],
  ["bad ass", 1.5],
  ["yeah right", -2],
  ["cut the mustard", 2],
  ["kiss of death", -1.5],
  ["hand to mouth", -2],
]);

const PUNC_LIST = [
  ...[".", "!", "?", ",", ";", ":", "-", "'", '"'],
  ...["!!", "!!!", "??", "???", "?!?", "!?!", "?!?!", "!?!?"],
];

/** Python's string.punctuation: ASCII punctuation only. */
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** What Python's str.split() splits on (str.isspace); unlike \s: U+1C-1F and U+85, not U+FEFF. */
const PY_SPACE = new Set([
  ...[0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680],
  ...Array.from({ length: 11 }, (_, k) => 0x2000 + k),
  ...[0x2028, 0x2029, 0x202f, 0x205f, 0x3000],
]);
function pySplit(text: string): string[] {
  const out: string[] = [];
  let word = "";
  for (const ch of text) {
    if (!PY_SPACE.has(ch.codePointAt(0)!)) word += ch;
    else if (word !== "") {
      out.push(word);
      word = "";
    }
  }
  if (word !== "") out.push(word);
  return out;
}

/** Python's len(): code points. */
const pyLen = (s: string): number => [...s].length;

/**
 * Python's str.isupper(): no lowercase or titlecase character and at least one uppercase one.
 */
const isUpper = (s: string): boolean =>
  /\p{Uppercase}/u.test(s) && !/[\p{Lowercase}\p{Lt}]/u.test(s);

const lower = (s: string): string => s.toLowerCase();

let lexiconCache: ReadonlyMap<string, number> | undefined;
/** make_lex_dict: word TAB mean ... per line (CRLF in NLTK's file); a later line wins. */
function lexicon(): ReadonlyMap<string, number> {
  if (lexiconCache) return lexiconCache;
  const map = new Map<string, number>();
  for (const line of readFileSync(join(DATA, "nltk-vader_lexicon.txt"), "utf8").split("\n")) {
    const [word, measure] = line.trim().split("\t");
    map.set(word!, Number(measure));
  }
  return (lexiconCache = map);
}

/** VaderConstants.negated on one word (include_nt; a single word has no "least" pair). */
const negated = (word: string): boolean => NEGATE.has(lower(word)) || lower(word).includes("n't");

function scalarIncDec(word: string, valence: number, isCapDiff: boolean): number {
  const booster = BOOSTER_DICT.get(lower(word));
  if (booster === undefined) return 0;
  let scalar = valence < 0 ? -booster : booster;
  if (isUpper(word) && isCapDiff) scalar += valence > 0 ? C_INCR : -C_INCR;
  return scalar;
}

/**
 * SentiText._words_and_emoticons: white-space tokens longer than one character, a token that is a
 * word (of the punctuation-free text, longer than one character) with one PUNC_LIST item before or
 * after it replaced by the word.
 */
function wordsAndEmoticons(text: string): string[] {
  const words = new Set(pySplit(text.replace(PUNCTUATION, "")).filter((w) => pyLen(w) > 1));
  const strip = (we: string): string => {
    for (const p of PUNC_LIST) {
      if (we.startsWith(p) && words.has(we.slice(p.length))) return we.slice(p.length);
      if (we.endsWith(p) && words.has(we.slice(0, -p.length))) return we.slice(0, -p.length);
    }
    return we;
  };
  return pySplit(text)
    .filter((we) => pyLen(we) > 1)
    .map(strip);
}

function neverCheck(valence: number, wes: readonly string[], startI: number, i: number): number {
  if (startI === 0 && negated(wes[i - 1]!)) return valence * N_SCALAR;
  if (startI === 1) {
    if (wes[i - 2] === "never" && (wes[i - 1] === "so" || wes[i - 1] === "this"))
      return valence * 1.5;
    if (negated(wes[i - 2]!)) return valence * N_SCALAR;
  }
  if (startI === 2) {
    if (
      (wes[i - 3] === "never" && (wes[i - 2] === "so" || wes[i - 2] === "this")) ||
      wes[i - 1] === "so" ||
      wes[i - 1] === "this"
    )
      return valence * 1.25;
    if (negated(wes[i - 3]!)) return valence * N_SCALAR;
  }
  return valence;
}

function idiomsCheck(valence: number, wes: readonly string[], i: number): number {
  const w = (k: number) => wes[k]!;
  const twoone = `${w(i - 2)} ${w(i - 1)}`;
  const threetwo = `${w(i - 3)} ${w(i - 2)}`;
  const sequences = [
    `${w(i - 1)} ${w(i)}`,
    `${w(i - 2)} ${w(i - 1)} ${w(i)}`,
    twoone,
    `${w(i - 3)} ${w(i - 2)} ${w(i - 1)}`,
    threetwo,
  ];
  const idiom = sequences.find((seq) => SPECIAL_CASE_IDIOMS.has(seq));
  if (idiom !== undefined) valence = SPECIAL_CASE_IDIOMS.get(idiom)!;
  if (wes.length - 1 > i) valence = SPECIAL_CASE_IDIOMS.get(`${w(i)} ${w(i + 1)}`) ?? valence;
  if (wes.length - 1 > i + 1)
    valence = SPECIAL_CASE_IDIOMS.get(`${w(i)} ${w(i + 1)} ${w(i + 2)}`) ?? valence;
  if (BOOSTER_DICT.has(threetwo) || BOOSTER_DICT.has(twoone)) valence += B_DECR;
  return valence;
}

function leastCheck(
  valence: number,
  wes: readonly string[],
  i: number,
  lex: ReadonlyMap<string, number>,
): number {
  const before = i > 0 ? lower(wes[i - 1]!) : "";
  if (before !== "least" || lex.has(before)) return valence;
  if (i > 1) {
    const two = lower(wes[i - 2]!);
    return two !== "at" && two !== "very" ? valence * N_SCALAR : valence;
  }
  return valence * N_SCALAR;
}

function sentimentValence(
  wes: readonly string[],
  item: string,
  i: number,
  isCapDiff: boolean,
  lex: ReadonlyMap<string, number>,
): number {
  let valence = lex.get(lower(item));
  if (valence === undefined) return 0;
  if (isUpper(item) && isCapDiff) valence += valence > 0 ? C_INCR : -C_INCR;
  for (let startI = 0; startI < 3; startI++) {
    if (i > startI && !lex.has(lower(wes[i - (startI + 1)]!))) {
      // Boosters further back count less.
      let s = scalarIncDec(wes[i - (startI + 1)]!, valence, isCapDiff);
      if (startI === 1 && s !== 0) s *= 0.95;
      if (startI === 2 && s !== 0) s *= 0.9;
      valence += s;
      valence = neverCheck(valence, wes, startI, i);
      if (startI === 2) valence = idiomsCheck(valence, wes, i);
    }
  }
  return leastCheck(valence, wes, i, lex);
}

function butCheck(wes: readonly string[], sentiments: number[]): number[] {
  const bi = wes.map(lower).indexOf("but");
  if (bi < 0) return sentiments;
  return sentiments.map((s, k) => (k < bi ? s * 0.5 : k > bi ? s * 1.5 : s));
}

function punctuationEmphasis(text: string): number {
  const ep = Math.min(text.split("!").length - 1, 4) * 0.292;
  const qm = text.split("?").length - 1;
  return ep + (qm > 1 ? (qm <= 3 ? qm * 0.18 : 0.96) : 0);
}

function scoreValence(sentiments: readonly number[], text: string): VaderScores {
  if (sentiments.length === 0) return { neg: 0, neu: 0, pos: 0, compound: 0 };
  let sum = 0;
  for (const s of sentiments) sum += s;
  const emphasis = punctuationEmphasis(text);
  if (sum > 0) sum += emphasis;
  else if (sum < 0) sum -= emphasis;
  const compound = sum / Math.sqrt(sum * sum + 15);
  let posSum = 0;
  let negSum = 0;
  let neuCount = 0;
  for (const s of sentiments) {
    // +1 / -1 compensate for the neutral words, counted as 1 each.
    if (s > 0) posSum += s + 1;
    if (s < 0) negSum += s - 1;
    if (s === 0) neuCount += 1;
  }
  if (posSum > Math.abs(negSum)) posSum += emphasis;
  else if (posSum < Math.abs(negSum)) negSum -= emphasis;
  const total = posSum + Math.abs(negSum) + neuCount;
  return {
    neg: roundHalfEven(Math.abs(negSum / total), 3),
    neu: roundHalfEven(Math.abs(neuCount / total), 3),
    pos: roundHalfEven(Math.abs(posSum / total), 3),
    compound: roundHalfEven(compound, 4),
  };
}

/** NLTK 3.8.1's SentimentIntensityAnalyzer().polarity_scores(text). */
export function nltkPolarityScores(text: string): VaderScores {
  const lex = lexicon();
  const wes = wordsAndEmoticons(text);
  const caps = wes.filter(isUpper).length;
  const isCapDiff = caps > 0 && caps < wes.length;
  const sentiments: number[] = [];
  for (const item of wes) {
    // As released: the context of a repeated word is its first occurrence's.
    const i = wes.indexOf(item);
    const kindOf = i < wes.length - 1 && lower(item) === "kind" && lower(wes[i + 1]!) === "of";
    sentiments.push(
      kindOf || BOOSTER_DICT.has(lower(item)) ? 0 : sentimentValence(wes, item, i, isCapDiff, lex),
    );
  }
  return scoreValence(butCheck(wes, sentiments), text);
}

/** The telephone-game follow-up's positivity: NLTK 3.8.1 VADER's compound score. */
export const nltkPositivity = (text: string): number => nltkPolarityScores(text).compound;
