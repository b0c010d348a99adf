import { jsonObject, labelSource } from "../../sim/toolkit/answers.js";
import type { Question } from "./questions.js";

/**
 * Answer matching: finding the final answer in a free-form reply and reducing answers to one
 * canonical key, so that "3/2", "1.5" and "1 1/2" count as one vote. The rules are documented in
 * README.md ("Questions and answer matching"); keep the two in step.
 */

type Kind = "choice" | "number" | "text" | "open";

/**
 * A number in any common form, possibly glued to a unit ("1.5m/s"); groups are read by
 * `numberTokens`.
 */
const NUMBER_SOURCE =
  String.raw`(?<![\w.\/])(?<sign>[-+\u2212])?(?<cur>[$\u20ac\u00a3])?\s?` +
  String.raw`(?:(?<int>\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?<dec>\.\d+)?|(?<bare>\.\d+))` +
  String.raw`(?:(?<mixed>[ \t]+\d+[ \t]*\/[ \t]*\d+)|[ \t]*\/[ \t]*(?<den>\d+(?:\.\d+)?)|:(?<ratio>\d+(?:\.\d+)?))?` +
  String.raw`(?<pct>[ \t]*(?:%|per ?cent\b))?(?:st|nd|rd|th)?(?![\d\/]|\.\d)`;

interface NumberToken {
  value: number;
  percent: boolean;
  index: number;
  text: string;
}

const NUMBER = new RegExp(NUMBER_SOURCE, "g");

function numberTokens(text: string): NumberToken[] {
  const tokens: NumberToken[] = [];
  for (const match of text.matchAll(NUMBER)) {
    const g = match.groups!;
    let value = Number(`${(g.int ?? "0").replaceAll(",", "")}${g.dec ?? g.bare ?? ""}`);
    if (g.mixed) {
      const [num, den] = g.mixed.split("/").map((part) => Number(part.trim())) as [number, number];
      if (g.dec || den === 0) continue;
      value += num / den;
    } else if (g.den !== undefined || g.ratio !== undefined) {
      const den = Number(g.den ?? g.ratio);
      if (den === 0) continue;
      value /= den;
    }
    if (g.sign === "-" || g.sign === "\u2212") value = -value;
    tokens.push({ value, percent: g.pct !== undefined, index: match.index, text: match[0].trim() });
  }
  return tokens;
}

const CARDINALS =
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(
    " ",
  );
const ORDINALS =
  "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split(" ");
const TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split(" ");
const WORD_VALUES = new Map<string, number>([
  ...CARDINALS.map((word, i) => [word, i] as const),
  ...ORDINALS.map((word, i) => [word, i + 1] as const),
  ...TENS.map((word, i) => [word, 20 + 10 * i] as const),
]);

/**
 * A number written in words at the start of an answer: "second place", "the fifth", "twenty-one".
 */
function leadingNumberWord(text: string): NumberToken | null {
  const match = /^(?:the\s+)?([a-z]+)(?:[-\s]([a-z]+))?/i.exec(text.trim());
  if (!match) return null;
  const first = WORD_VALUES.get(match[1]!.toLowerCase());
  if (first === undefined) return null;
  const unit = match[2] === undefined ? undefined : WORD_VALUES.get(match[2].toLowerCase());
  const compound =
    TENS.includes(match[1]!.toLowerCase()) && unit !== undefined && unit >= 1 && unit <= 9;
  return { value: compound ? first + unit : first, percent: false, index: 0, text: match[0] };
}

/** The answer's number: the first one written in digits, else a leading number word. */
function firstNumber(text: string): NumberToken | null {
  return numberTokens(text)[0] ?? leadingNumberWord(text);
}

/**
 * Numbers agree when they agree to 12 significant digits: the key rounds them, so keys compare
 * exactly.
 */
function formatNumber(value: number): string {
  const rounded = Number(value.toPrecision(12));
  return Object.is(rounded, -0) ? "0" : String(rounded);
}

/** Does the question want a percentage? Then "48%", "0.48" and "48" are one answer (see README). */
const ASKS_PERCENT =
  /\b(?:what|which)\s+(?:\w+\s+){0,2}?percent(?:age)?\b|\bhow many percent\b|\b(?:as|in) (?:a )?percent(?:age)?\b/i;

function isPercentQuestion(question: Question): boolean {
  return (
    question.answers.some((answer) => /%|\bper ?cent\b/i.test(answer)) ||
    ASKS_PERCENT.test(question.question)
  );
}

function numberKey(token: NumberToken, percentQuestion: boolean): string {
  if (!percentQuestion)
    return token.percent ? `${formatNumber(token.value)}%` : formatNumber(token.value);
  // In a percentage question a bare number above 1 is read as percentage points ("48" = 48%),
  // one at most 1 as a fraction ("0.48" = 48%); keys are written as percentages.
  const fraction = token.percent || Math.abs(token.value) > 1 ? token.value / 100 : token.value;
  return `${formatNumber(fraction * 100)}%`;
}

interface Profile {
  kind: Kind;
  percent: boolean;
  /** The accepted answers' keys, filled on first use. */
  accepted?: Set<string | null>;
  /** Multiple choice: each option's normalised text ("" for none), filled on first use. */
  choiceTexts?: string[];
}

/**
 * What matching needs to know about a question, worked out once (questions are not changed after
 * loading).
 */
const profiles = new WeakMap<Question, Profile>();

function profileOf(question: Question): Profile {
  let profile = profiles.get(question);
  if (!profile) {
    const kind: Kind =
      question.choices && question.choices.length > 0
        ? "choice"
        : question.answers.length === 0
          ? "open"
          : question.answers.some((answer) => numberTokens(clean(answer)).length > 0)
            ? "number"
            : "text";
    profile = { kind, percent: isPercentQuestion(question) };
    profiles.set(question, profile);
  }
  return profile;
}

function kindOf(question: Question): Kind {
  return profileOf(question).kind;
}

/** Strips LaTeX and Markdown wrappers that models put around answers. */
function clean(raw: string): string {
  let text = raw;
  for (;;) {
    const inner = unwrapLast(text, "\\boxed");
    if (inner === null || inner === text) break;
    text = inner;
  }
  return text
    .replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "$1/$2")
    .replace(/\\(?:text|mathrm|textbf)\s*\{([^{}]*)\}/g, "$1")
    .replace(/\\([%$])/g, "$1")
    .replace(/\\[(),[\]]|\\!|\$\$/g, " ")
    .replace(/[*_`]+/g, "")
    .trim();
}

/** The contents of the last `command{...}` (balanced braces), or null. */
function unwrapLast(text: string, command: string): string | null {
  const start = text.lastIndexOf(`${command}{`);
  if (start < 0) return null;
  let depth = 0;
  for (let i = start + command.length; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(start + command.length + 1, i);
  }
  return null;
}

function normalizeText(raw: string): string | null {
  const text = raw
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/^[\s"'“”‘’([{<:.,;!?-]+|[\s"'“”‘’)\]}>:.,;!?-]+$/g, "")
    .replace(/^(?:the|a|an) /, "");
  return text === "" ? null : text;
}

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A choice letter written as "(b)", "B", "B.", "B)", "B: text", "option B"; null if none. */
function choiceLetter(text: string, count: number): string | null {
  const match =
    /^\(([a-z])\)/i.exec(text) ??
    /^([a-z])[.)]?$/i.exec(text) ??
    /^([A-Z])[.):](?:\s|$)/.exec(text) ??
    /^(?:option|choice)\s+\(?([a-z])\)?(?:\W|$)/i.exec(text);
  if (!match) return null;
  const letter = match[1]!.toUpperCase();
  return LETTERS.indexOf(letter) < count ? letter : null;
}

function normalizeChoice(text: string, question: Question): string | null {
  const choices = question.choices!;
  const letter = choiceLetter(text, choices.length);
  if (letter) return letter;
  const wanted = normalizeText(text);
  if (wanted === null) return null;
  const texts = choiceTexts(question);
  const exact = texts.indexOf(wanted);
  if (exact >= 0) return LETTERS[exact]!;
  // A reply that names exactly one option's text, e.g. "I pick the red door".
  const named = texts.flatMap((choice, i) =>
    choice !== "" && containsPhrase(wanted, choice) ? [i] : [],
  );
  if (named.length === 1) return LETTERS[named[0]!]!;
  // Numeric options compare as numbers: "3/2" picks the option "1.5".
  const [first] = numberTokens(text);
  if (!first) return null;
  const percent = profileOf(question).percent;
  const key = numberKey(first, percent);
  const numeric = choices.findIndex((choice) => {
    const tokens = numberTokens(clean(choice));
    return tokens.length === 1 && numberKey(tokens[0]!, percent) === key;
  });
  return numeric >= 0 ? LETTERS[numeric]! : null;
}

function choiceTexts(question: Question): string[] {
  const profile = profileOf(question);
  profile.choiceTexts ??= question.choices!.map((choice) => normalizeText(clean(choice)) ?? "");
  return profile.choiceTexts;
}

function containsPhrase(text: string, phrase: string): boolean {
  return new RegExp(`(?:^|\\W)${escapeRegExp(phrase)}(?:\\W|$)`).test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The canonical form of an answer: a number key ("1.5", "48%"), a choice letter ("B"), or
 * lowercased
 * text with surrounding punctuation and a leading article dropped. Null when nothing answer-like is
 * left (empty text, or a multiple-choice answer that names no option).
 */
export function normalizeAnswer(raw: string, question: Question): string | null {
  let text = clean(raw);
  const kind = kindOf(question);
  if (kind === "choice") return normalizeChoice(text, question);
  if (kind === "number" || kind === "open") {
    // "10 + 3 + 1 = 14": the result follows the last equals sign.
    const equals = text.lastIndexOf("=");
    if (equals >= 0 && numberTokens(text.slice(equals + 1)).length > 0)
      text = text.slice(equals + 1);
    const number = firstNumber(text);
    const whole = number !== null && number.text === text.replace(/[.!]$/, "").trim();
    if (number && (kind === "number" || whole))
      return numberKey(number, profileOf(question).percent);
  }
  return normalizeText(text);
}

/**
 * The key votes are counted by: the normalised answer, or the trimmed lowercased text if it has
 * none.
 */
export function answerKey(answer: string, question: Question): string {
  return normalizeAnswer(answer, question) ?? answer.trim().toLowerCase();
}

export function sameAnswer(a: string | null, b: string | null, question: Question): boolean {
  if (a === null || b === null) return false;
  return answerKey(a, question) === answerKey(b, question);
}

/**
 * True when the answer matches any accepted answer; always false for open questions (no answers).
 */
export function isCorrect(answer: string | null, question: Question): boolean {
  if (answer === null) return false;
  const key = normalizeAnswer(answer, question);
  if (key === null) return false;
  const profile = profileOf(question);
  profile.accepted ??= new Set(
    question.answers.map((accepted) => normalizeAnswer(accepted, question)),
  );
  return profile.accepted.has(key);
}

const EXPLICIT_PATTERNS = [
  // "Answer: 42", "Final answer: 42", "**Answer:** 42", "**Answer**: 42", "Answer - 42"
  new RegExp(
    String.raw`\b(?:final\s+)?${labelSource("answer", { acrossLines: true, fullwidthColon: true })}\s*(.+)`,
    "gi",
  ),
  // "the answer is 42", "my final answer would be 42"
  /\b(?:final\s+)?answer\s+(?:(?:is|would be|will be)\b|=)\s*:?\s*(.+)/gi,
  // GSM8K's own marker
  /^\s*####\s*(.+)/gm,
  // a JSON reply such as MAD's {"debate_answer": "42"}
  /"(?:debate_)?answer"\s*:\s*"([^"]*)"/gi,
  /"(?:debate_)?answer"\s*:\s*(-?[\d.]+)/gi,
];

/**
 * How replies are read. "marked" (the default): only an answer the reply marks as its answer counts
 * (an answer label or phrase, "####", a JSON answer field, \boxed{}); "lenient" also takes, failing
 * those, the last option mentioned (multiple choice) or the last number in the text, which reads
 * answers into any text with a number in it, random text included.
 */
export type AnswerReading = "marked" | "lenient";

/**
 * The explicit answer's text, cut at the end of its sentence (for text answers also at a clause).
 */
function trimSentence(text: string, kind: Kind): string {
  const end = (
    kind === "text" ? /[;!?](?:\s|$)|\.(?:\s|$)|,\s|\sbecause\s/i : /[;!?](?:\s|$)|\.(?:\s|$)/
  ).exec(text);
  return (end ? text.slice(0, end.index) : text).replace(/\*+$/, "").trim();
}

/**
 * Can `value` be this question's answer: for numeric questions it has a number, for multiple choice
 * it names an option.
 */
function answerLike(value: string, question: Question, kind: Kind): boolean {
  if (kind === "number") return firstNumber(clean(value)) !== null;
  if (kind === "choice") return normalizeChoice(clean(value), question) !== null;
  return true;
}

/**
 * The final answer in a reply, as written (normalise it with `normalizeAnswer`); null if none.
 * A reply holding a JSON object with an "answer" (or "debate_answer") field is read from that field
 * alone (a structured answer: its reasoning is not searched; lenient reading goes on when the field
 * holds no answer). Otherwise, in order: the last explicit answer ("Answer: ...", "the final answer
 * is ...", "#### ...", a JSON "answer" field; for numeric questions only one with a number, for
 * multiple choice only one naming an option), else the last \boxed{...}; and only when reading
 * "lenient", else for multiple choice the last "(X)" letter or option text mentioned, else the last
 * number.
 */
export function extractAnswer(
  text: string,
  question: Question,
  reading: AnswerReading = "marked",
): string | null {
  const kind = kindOf(question);
  const json = jsonObject(text);
  const field = json === null ? undefined : ["answer", "debate_answer"].find((key) => key in json);
  if (json !== null && field !== undefined) {
    const value = json[field];
    const written =
      typeof value === "string"
        ? trimSentence(value, kind)
        : typeof value === "number"
          ? String(value)
          : "";
    if (written !== "" && answerLike(written, question, kind)) return written;
    if (reading === "marked") return null;
  }
  const explicit: { index: number; value: string }[] = [];
  for (const pattern of EXPLICIT_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const value = trimSentence(match[1]!, kind);
      if (value !== "" && answerLike(value, question, kind))
        explicit.push({ index: match.index, value });
    }
  }
  if (explicit.length > 0) return explicit.reduce((a, b) => (b.index >= a.index ? b : a)).value;

  const boxed = unwrapLast(text, "\\boxed");
  if (boxed !== null && boxed.trim() !== "") return boxed.trim();
  if (reading === "marked") return null;

  if (kind === "choice") {
    const mention = lastChoiceMention(text, question);
    if (mention !== null) return mention;
  }
  const numbers = numberTokens(clean(text));
  return numbers.length > 0 ? numbers[numbers.length - 1]!.text : null;
}

function lastChoiceMention(text: string, question: Question): string | null {
  const choices = question.choices!;
  const phrases = choiceTexts(question);
  let best: { index: number; value: string } | null = null;
  for (const match of text.matchAll(/\(([A-Za-z])\)/g)) {
    if (LETTERS.indexOf(match[1]!.toUpperCase()) < choices.length)
      best = { index: match.index, value: match[0] };
  }
  const lower = text.toLowerCase();
  for (const [i, choice] of choices.entries()) {
    const phrase = phrases[i]!;
    if (!phrase) continue;
    const pattern = new RegExp(`(?:^|\\W)(${escapeRegExp(phrase)})(?=\\W|$)`, "g");
    for (const match of lower.matchAll(pattern)) {
      const index = match.index + match[0].length - match[1]!.length;
      if (!best || index > best.index) best = { index, value: choice };
    }
  }
  return best?.value ?? null;
}

/** Extracts and normalises in one step: what an agent's reply answers, or null. */
export function readAnswer(
  text: string,
  question: Question,
  reading: AnswerReading = "marked",
): string | null {
  const raw = extractAnswer(text, question, reading);
  return raw === null ? null : normalizeAnswer(raw, question);
}
