/**
 * Reading models' answers: labels ("Answer: ..."), amounts ("5", "1,000", "2,5", "1/2", "50%") and
 * structured (JSON) replies. Each reader says what it could not read rather than guessing, so a
 * scenario can count unusable answers instead of turning them into data.
 */

export interface LabelOptions {
  /** Also accept a line break between the word and its separator ("Answer\n: 5"). */
  acrossLines?: boolean;
  /** Also accept the fullwidth colon "：". */
  fullwidthColon?: boolean;
}

/**
 * Regex source of a label: `word` (itself regex source), then a colon, or a dash before white
 * space,
 * with markdown emphasis around the separator tolerated: "Answer:", "**Answer:**", "**Answer**:",
 * "Answer -". Build on it when a label needs context of its own (a prefix, a capture).
 */
export function labelSource(word: string, options: LabelOptions = {}): string {
  const gap = options.acrossLines ? String.raw`\s*` : String.raw`[ \t]*`;
  const colon = options.fullwidthColon ? String.raw`[:\uff1a]` : ":";
  return String.raw`${word}[*_]*${gap}(?:${colon}|[-\u2013\u2014](?=\s))[*_]*`;
}

/**
 * A label as a case-insensitive global RegExp: `labelSource` not inside a word, with markdown
 * before it ("**", "### ") taken into the match so the text before a label ends without it.
 */
export function labelPattern(word: string, options: LabelOptions = {}): RegExp {
  return new RegExp(String.raw`(?:[#*_]+[ \t]*)?(?<![a-z0-9])${labelSource(word, options)}`, "gi");
}

/**
 * The text before the LAST `word` label and the trimmed text after it; null when there is no such
 * label.
 */
export function splitAtLastLabel(
  text: string,
  word: string,
): { before: string; after: string } | null {
  const last = [...text.matchAll(labelPattern(word))].at(-1);
  if (!last) return null;
  return {
    before: text.slice(0, last.index),
    after: text.slice(last.index + last[0].length).trim(),
  };
}

/** `text` trimmed, without a `word` label at its start ("Justification: ..." -> "..."). */
export function stripLeadingLabel(text: string, word: string): string {
  return text.replace(new RegExp(String.raw`^\s*${labelPattern(word).source}`, "i"), "").trim();
}

export interface AmountOptions {
  /** What a percentage is a share of: "50%" of 10 is 5. */
  percentOf: number;
  /**
   * The text whose digit groups decide the decimal comma (default: the text read), e.g. a whole
   * answer when reading after a keyword.
   */
  context?: string;
}

export type AmountReading =
  { ok: true; value: number } | { ok: false; problem: "no number" | "zero denominator" };

// sign (only when not glued to a word), number token, optional "/denominator", optional percent.
const AMOUNT =
  /((?<!\w)[-−])?(\d+(?:,\d+)*(?:\.\d+)?)(?:\s*\/\s*(\d+(?:\.\d+)?))?(\s*(?:%|percent\b))?/i;
const THOUSANDS = /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const DECIMAL_COMMA = /^\d+,\d+$/;

/**
 * The first amount in `text`: "5", "5.5", "**5**", "$5", "5.0 units"; "1,000" has a thousands
 * separator; "2,5" is 2.5 only when the context has no other digit group (otherwise the comma
 * separates items: 2); "1/2" is 0.5; "50%", "50 %", "50 percent" are that share of `percentOf`;
 * "-3" is negative. Number words ("five") are not read.
 */
export function readAmount(text: string, options: AmountOptions): AmountReading {
  const m = AMOUNT.exec(text);
  if (!m) return { ok: false, problem: "no number" };
  const [, sign, token = "", denominator, percent] = m;
  const sole = ((options.context ?? text).match(/\d+/g) ?? []).length === 2;
  let value: number;
  if (!token.includes(",") || THOUSANDS.test(token)) value = Number(token.replaceAll(",", ""));
  else if (DECIMAL_COMMA.test(token) && sole) value = Number(token.replace(",", "."));
  else return { ok: true, value: (sign ? -1 : 1) * Number(token.slice(0, token.indexOf(","))) };
  if (denominator !== undefined) {
    if (Number(denominator) === 0) return { ok: false, problem: "zero denominator" };
    value /= Number(denominator);
  }
  if (percent !== undefined) value = (options.percentOf * value) / 100;
  return { ok: true, value: sign ? -value : value };
}

/**
 * What readAmount reads of a number a policy wrote with toFixed: below 1e21 its plain decimals;
 * above, toFixed writes an exponent, of which readAmount takes the mantissa only ("1.5e+21" is
 * 1.5). A policy's fast path gives this, so it has the text path's bits without the text.
 */
export function readFixed(written: string): number {
  const exponent = written.indexOf("e");
  return Number(exponent < 0 ? written : written.slice(0, exponent));
}

/**
 * The JSON object in a reply, from its first "{" to its last "}" (code fences and chatter around
 * it allowed); null when there is none or it is not valid JSON.
 */
export function jsonObject(text: string): Record<string, unknown> | null {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return null;
  try {
    const value: unknown = JSON.parse(text.slice(start, end + 1));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * A reply that is, whole (white space aside), one JSON object, as a json_schema response format
 * returns; else null.
 */
export function wholeJsonObject(text: string): Record<string, unknown> | null {
  const trimmed = text.trim();
  return trimmed.startsWith("{") && trimmed.endsWith("}") ? jsonObject(trimmed) : null;
}

/** A reply quoted in a failure reason: white space flattened, cut to 80 characters. */
export function quoteReply(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return `"${flat.length > 80 ? `${flat.slice(0, 77)}...` : flat}"`;
}
