import { jsonObject } from "../../sim/toolkit/answers.js";
import { type AnswerReading, normalizeAnswer, readAnswer } from "./answers.js";
import type {
  AdviceState,
  AnswerState,
  JudgeState,
  SummaryState,
  SurveyState,
} from "./policies.js";
import type { Question } from "./questions.js";

/**
 * Reading the replies that are not debaters' answers: judges' rulings, survey attitudes, advice and
 * summaries. Each reader returns null (or `usable: false`) for a reply it cannot use, which the
 * scenario counts (README.md, "Metrics") rather than turning into data.
 */

/**
 * What a judge's reply says, read from the JSON MAD's moderator is asked for (or its key phrases).
 */
export interface JudgeReading {
  decided: boolean;
  side: string | null;
  answer: string | null;
  /**
   * False for a ruling that cannot be used: a round ruling whose preference is neither yes nor no,
   * or that says yes but names no side and no answer; a final ruling with neither side nor answer.
   * An unusable ruling decides nothing.
   */
  usable: boolean;
}

/**
 * The value of the first key matching `pattern`, from a parsed object or, failing JSON, a `"key":
 * "value"` pair in the text.
 */
function field(
  text: string,
  parsed: Record<string, unknown> | null,
  pattern: RegExp,
): string | null {
  if (parsed) {
    const key = Object.keys(parsed).find((k) => pattern.test(k));
    const value = key === undefined ? undefined : parsed[key];
    return value === undefined || value === null ? null : String(value);
  }
  for (const match of text.matchAll(/"([^"]+)"\s*:\s*"([^"]*)"/g))
    if (pattern.test(match[1]!)) return match[2]!;
  return null;
}

/**
 * Reads a judge's reply. `sides` are the names it may support (MAD's sides, or debater ids); the
 * supported side is matched exactly (case-insensitive), else the longest side named in the field.
 * The answer is read from the answer field only (itself an explicit marker). A final judgement
 * decides when it names a side or an answer; a round's when its preference field starts with "yes"
 * and it names either, or, `decideBy: "answer"` (MAD's released code), when its answer field is not
 * empty, whatever the preference (a ruling without that field is unusable).
 */
export function parseJudge(
  text: string,
  sides: readonly string[],
  question: Question,
  final: boolean,
  decideBy: "preference" | "answer" = "preference",
): JudgeReading {
  const parsed = jsonObject(text);
  const preference = (field(text, parsed, /preference/i) ?? "").trim();
  const supported = (field(text, parsed, /side/i) ?? "").trim().toLowerCase();
  const raw = field(text, parsed, /answer/i);
  const undecided = { decided: false, side: null, answer: null };
  if (!final && decideBy === "answer" && (raw === null || raw === ""))
    return { ...undecided, usable: raw !== null };
  const side =
    sides.find((s) => s.toLowerCase() === supported) ??
    [...sides]
      .sort((a, b) => b.length - a.length)
      .find((s) => supported !== "" && supported.includes(s.toLowerCase())) ??
    null;
  const answer = raw !== null && raw.trim() !== "" ? normalizeAnswer(raw, question) : null;
  const names = side !== null || answer !== null;
  if (!final && decideBy === "answer") return { decided: true, side, answer, usable: true };
  if (!final && /^no\b/i.test(preference))
    return { decided: false, side: null, answer: null, usable: true };
  const usable = names && (final || /^yes\b/i.test(preference));
  return usable
    ? { decided: true, side, answer, usable }
    : { decided: false, side: null, answer: null, usable };
}

/** A JSON reply's numeric field: a number, or a string that is one number. */
function numericField(parsed: Record<string, unknown>, key: string): number | null {
  const value = parsed[key];
  if (typeof value === "number") return value;
  return typeof value === "string" && /^\s*\d+(?:\.\d+)?\s*$/.test(value) ? Number(value) : null;
}

const onScale = (n: number | null): number | null => (n !== null && n >= 0 && n <= 10 ? n : null);

/**
 * A survey reply's attitude, 0-10, or null: a JSON reply's "attitude" field (a structured answer),
 * else the number after the last "Attitude:" label (also `"attitude": N` in broken JSON); reading
 * "lenient", failing those, the last number from 0 to 10 in the text.
 */
export function parseAttitude(text: string, reading: AnswerReading = "marked"): number | null {
  const parsed = jsonObject(text);
  if (parsed !== null && "attitude" in parsed) return onScale(numericField(parsed, "attitude"));
  const labelled = [
    ...text.matchAll(/attitude"?\s*[:\uff1a]\s*\**\s*(\d+(?:\.\d+)?)/gi),
  ].pop()?.[1];
  const loose =
    reading === "lenient"
      ? [...text.matchAll(/(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])/g)]
          .map((m) => m[1]!)
          .filter((n) => Number(n) <= 10)
          .pop()
      : undefined;
  const value = labelled ?? loose;
  return value === undefined ? null : onScale(Number(value));
}

/**
 * Debating advice, or null when there is none to use: a JSON reply's "advice" field, else what
 * follows "My advice:"; reading "lenient", failing those, the whole reply. Trimmed; empty is none.
 */
export function parseAdvice(text: string, reading: AnswerReading = "marked"): string | null {
  const parsed = jsonObject(text);
  const at = text.search(/my advice\s*:/i);
  const advice =
    parsed !== null && "advice" in parsed
      ? typeof parsed.advice === "string"
        ? parsed.advice
        : ""
      : at >= 0
        ? text.slice(at).replace(/^my advice\s*:\s*/i, "")
        : reading === "lenient"
          ? text
          : "";
  return advice.trim() === "" ? null : advice.trim();
}

/**
 * A summary, or null when there is none: a JSON reply's "summary" field, else the whole reply;
 * trimmed, empty is none.
 */
export function parseSummary(text: string): string | null {
  const parsed = jsonObject(text);
  const summary =
    parsed !== null && "summary" in parsed
      ? typeof parsed.summary === "string"
        ? parsed.summary
        : ""
      : text;
  return summary.trim() === "" ? null : summary.trim();
}

/**
 * How the scenario reads each kind of reply, from the reply and the state its mind was given (which
 * carries what reading needs): one definition for both paths, so a policy's fast path (`act`)
 * reads exactly as the scenario reads the same policy's text.
 */
export const READERS = {
  answer: (state: AnswerState, text: string) => readAnswer(text, state.question, state.reading),
  judge: (state: JudgeState, text: string) =>
    parseJudge(
      text,
      state.sides.map((x) => x.side),
      state.question,
      state.final,
      state.decideBy,
    ),
  /** MAD's released final judge's first reply: the answer candidates it sees, as free text. */
  candidates: (_state: JudgeState, text: string) => parseSummary(text),
  survey: (state: SurveyState, text: string) => parseAttitude(text, state.reading),
  summary: (_state: SummaryState, text: string) => parseSummary(text),
  advice: (state: AdviceState, text: string) => parseAdvice(text, state.reading),
};

export type Purpose = keyof typeof READERS;
