import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { ConfigError } from "../../sim/core/errors.js";
import { isCorrect, normalizeAnswer } from "./answers.js";
import type { Question } from "./questions.js";

/**
 * Question file layouts: our JSONL, the CIAR JSON array of the MAD repository (Liang et al.)
 * and GSM8K's JSONL. Every item is checked here so a bad file fails at load time, naming the
 * file, the line, the field and the value.
 */
export const QUESTION_FORMATS = ["jsonl", "ciar", "gsm8k"] as const;
export type QuestionFormat = (typeof QUESTION_FORMATS)[number];

const JSONL_KEYS = ["id", "question", "answers", "trap", "choices", "topic", "explanation"];

/** Reads a question file; `source` is how the item's `source` and error messages name it. */
export function readQuestionFile(
  path: string,
  format: QuestionFormat | "auto",
  source: string,
): Question[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(source, path, `a readable question file (${(error as Error).message})`);
  }
  return parseQuestions(text, format === "auto" ? detectFormat(path, text) : format, source);
}

/** .json is CIAR; JSONL whose first item has a GSM8K worked solution ("#### 42") is GSM8K. */
export function detectFormat(path: string, text: string): QuestionFormat {
  const extension = extname(path).toLowerCase();
  if (extension === ".json" || text.trimStart().startsWith("[")) return "ciar";
  const first = text.split(/\r?\n/).find((line) => line.trim() !== "");
  try {
    const item = first === undefined ? undefined : (JSON.parse(first) as Record<string, unknown>);
    if (
      item &&
      !("answers" in item) &&
      typeof item.answer === "string" &&
      item.answer.includes("####")
    )
      return "gsm8k";
  } catch {
    // a malformed first line is reported, with its line number, by the JSONL reader
  }
  return "jsonl";
}

export function parseQuestions(text: string, format: QuestionFormat, source: string): Question[] {
  const stem = basename(source.replace(/^builtin:/, ""), extname(source));
  const records = format === "ciar" ? jsonArrayRecords(text, source) : jsonlRecords(text, source);
  if (records.length === 0)
    throw new ConfigError(source, "", "a question file with at least one question");
  const read = format === "ciar" ? fromCiar : format === "gsm8k" ? fromGsm8k : fromJsonl;
  const seen = new Map<string, number>();
  return records.map((record, index) => {
    const at = new Place(source, record.line);
    const question = read(record.value, at, `${stem}-${index + 1}`, source);
    check(question, at, FIELD_NAMES[format]);
    const previous = seen.get(question.id);
    if (previous !== undefined)
      throw at.error("id", question.id, `an id not already used (line ${previous} has it)`);
    seen.set(question.id, record.line);
    return question;
  });
}

/**
 * Where an item is, for error messages: "data/qs.jsonl, line 3, field answers: got 5, expected
 * ...".
 */
class Place {
  constructor(
    readonly source: string,
    readonly line: number,
  ) {}

  error(field: string | null, value: unknown, expected: string): ConfigError {
    return new ConfigError(
      `${this.source}, line ${this.line}${field === null ? "" : `, field ${field}`}`,
      value,
      expected,
    );
  }
}

interface RawRecord {
  line: number;
  value: unknown;
}

function jsonlRecords(text: string, source: string): RawRecord[] {
  const records: RawRecord[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === "") return;
    try {
      records.push({ line: index + 1, value: JSON.parse(raw) });
    } catch (error) {
      throw new Place(source, index + 1).error(
        null,
        raw,
        `one JSON object per line (${(error as Error).message})`,
      );
    }
  });
  return records;
}

function jsonArrayRecords(text: string, source: string): RawRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      source,
      text.slice(0, 40),
      `a JSON array of questions (${(error as Error).message})`,
    );
  }
  if (!Array.isArray(parsed))
    throw new ConfigError(source, parsed, "a JSON array of questions (the CIAR layout)");
  const lines = elementLines(text);
  return parsed.map((value, index) => ({ line: lines[index] ?? 1, value }));
}

/** The line on which each element of a top-level JSON array starts (the text is valid JSON). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (/\s/.test(c)) continue;
    if (depth === 1 && expectValue && c !== "]") {
      lines.push(line);
      expectValue = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectValue = true;
  }
  return lines;
}

function asObject(value: unknown, at: Place): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw at.error(null, value, "a JSON object (one question)");
  return value as Record<string, unknown>;
}

function requiredText(item: Record<string, unknown>, key: string, at: Place): string {
  const value = item[key];
  if (typeof value !== "string" || value.trim() === "")
    throw at.error(key, value, "a non-empty string");
  return value.trim();
}

function optionalText(item: Record<string, unknown>, key: string, at: Place): string | undefined {
  if (item[key] === undefined) return undefined;
  return requiredText(item, key, at);
}

/** A string, a number, or a list of them (numbers are written back as text). */
function answerList(item: Record<string, unknown>, key: string, at: Place): string[] {
  const value = item[key];
  const list = Array.isArray(value) ? value : [value];
  const ok = list.every(
    (entry) =>
      (typeof entry === "string" && entry.trim() !== "") ||
      (typeof entry === "number" && Number.isFinite(entry)),
  );
  if (!ok) throw at.error(key, value, "a string or a list of non-empty strings");
  return list.map((entry) => String(entry).trim());
}

function fromJsonl(value: unknown, at: Place, defaultId: string, source: string): Question {
  const item = asObject(value, at);
  const unknown = Object.keys(item).find((key) => !JSONL_KEYS.includes(key));
  if (unknown !== undefined) {
    const hint =
      unknown === "answer" ? "; a GSM8K file needs format: gsm8k, a CIAR file format: ciar" : "";
    throw at.error(
      unknown,
      item[unknown],
      `no such field (known fields: ${JSONL_KEYS.join(", ")}${hint})`,
    );
  }
  const id = item.id;
  if (
    id !== undefined &&
    !(typeof id === "string" && id.trim() !== "") &&
    !(typeof id === "number" && Number.isInteger(id))
  )
    throw at.error("id", id, "a non-empty string or an integer");
  let choices: string[] | undefined;
  if (item.choices !== undefined) {
    const list = item.choices;
    if (
      !Array.isArray(list) ||
      list.length < 2 ||
      list.length > 26 ||
      !list.every((c) => typeof c === "string" && c.trim() !== "")
    )
      throw at.error("choices", list, "a list of 2 to 26 non-empty strings");
    choices = list.map((c: string) => c.trim());
  }
  const question: Question = {
    id: id === undefined ? defaultId : String(id).trim(),
    question: requiredText(item, "question", at),
    answers: item.answers === undefined ? [] : answerList(item, "answers", at),
    source,
  };
  const trap = item.trap === undefined ? undefined : answerList(item, "trap", at);
  if (trap && trap.length !== 1) throw at.error("trap", item.trap, "one wrong answer (a string)");
  if (trap) question.trap = trap[0]!;
  if (choices) question.choices = choices;
  const topic = optionalText(item, "topic", at);
  if (topic !== undefined) question.topic = topic;
  const explanation = optionalText(item, "explanation", at);
  if (explanation !== undefined) question.explanation = explanation;
  return question;
}

/**
 * CIAR: `answer` is the accepted list; the first `incorrect answer` becomes the trap, unless the
 * matching rules count it correct (CIAR's "6 or 12" against "6"): then the item has no trap.
 */
function fromCiar(value: unknown, at: Place, id: string, source: string): Question {
  const item = asObject(value, at);
  const question: Question = {
    id,
    question: requiredText(item, "question", at),
    answers: answerList(item, "answer", at),
    source,
  };
  if (item["incorrect answer"] !== undefined) {
    const [trap] = answerList(item, "incorrect answer", at);
    if (trap !== undefined && !isCorrect(trap, question)) question.trap = trap;
  }
  const explanation = optionalText(item, "explanation", at);
  if (explanation !== undefined) question.explanation = explanation;
  return question;
}

/** GSM8K: the worked solution ends in "#### 42"; the number after it is the accepted answer. */
function fromGsm8k(value: unknown, at: Place, id: string, source: string): Question {
  const item = asObject(value, at);
  const solution = requiredText(item, "answer", at);
  const match = /####\s*(-?[\d,]*\.?\d+)\s*$/.exec(solution);
  if (!match)
    throw at.error(
      "answer",
      solution,
      'a worked solution ending in "#### <number>" (the GSM8K layout)',
    );
  const explanation = solution
    .slice(0, match.index)
    .replace(/<<[^>]*>>/g, "")
    .trim();
  const question: Question = {
    id,
    question: requiredText(item, "question", at),
    answers: [match[1]!.replaceAll(",", "")],
    source,
  };
  if (explanation !== "") question.explanation = explanation;
  return question;
}

/** How each layout names the accepted answers and the trap, for error messages. */
const FIELD_NAMES: Record<QuestionFormat, { answers: string; trap: string }> = {
  jsonl: { answers: "answers", trap: "trap" },
  ciar: { answers: "answer", trap: "incorrect answer" },
  gsm8k: { answers: "answer", trap: "trap" },
};

/** Every accepted answer and the trap must be readable, and the trap must not count as right. */
function check(question: Question, at: Place, fields: { answers: string; trap: string }): void {
  const readable = question.choices
    ? "an option letter or an option's text"
    : "an answer with some text";
  for (const answer of question.answers) {
    if (normalizeAnswer(answer, question) === null)
      throw at.error(fields.answers, answer, readable);
  }
  if (question.trap === undefined) return;
  if (normalizeAnswer(question.trap, question) === null)
    throw at.error(fields.trap, question.trap, readable);
  if (isCorrect(question.trap, question))
    throw at.error(fields.trap, question.trap, "a wrong answer (it matches an accepted answer)");
}
