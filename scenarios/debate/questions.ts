import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { LIMITS } from "../../sim/core/limits.js";
import type { Rng } from "../../sim/core/rng.js";
import { generateArithmetic } from "./arithmetic.js";
import { QUESTION_FORMATS, type QuestionFormat, readQuestionFile } from "./loaders.js";

/**
 * One debate item. `answers` is empty for open questions (persona-debate topics): nothing to score.
 */
export interface Question {
  id: string;
  question: string;
  /** Accepted answers, any form `normalizeAnswer` reads ("1.5", "3/2", "B", "Tuesday"). */
  answers: string[];
  /** The tempting wrong answer, given by policy minds that get the item wrong. */
  trap?: string;
  /** Multiple-choice options in letter order (A, B, ...). */
  choices?: string[];
  topic?: string;
  explanation?: string;
  /**
   * Where the item came from: the file path as configured, `builtin:<set>` or
   * `generator:arithmetic`.
   */
  source: string;
}

/** Question sets shipped in scenarios/debate/data/. */
export const BUILTIN_SETS = ["counterintuitive", "topics", "gsm8k-sample"] as const;
export type BuiltinSet = (typeof BUILTIN_SETS)[number];

const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), "data");
const BUILTIN_FILES: Record<BuiltinSet, { file: string; format: QuestionFormat }> = {
  counterintuitive: { file: "counterintuitive.jsonl", format: "jsonl" },
  topics: { file: "topics.jsonl", format: "jsonl" },
  "gsm8k-sample": { file: "gsm8k-sample.jsonl", format: "gsm8k" },
};

/** The keys each kind of source takes (besides its own). */
const SOURCE_KEYS = {
  file: ["format", "limit", "shuffle"],
  builtin: ["limit", "shuffle"],
  generator: ["count", "terms", "maxOperand"],
} as const;
type SourceKind = keyof typeof SOURCE_KEYS;

/**
 * One question source in a config: a file, a shipped set, or the arithmetic generator. Read as one
 * flat object and checked by hand, so a mistake is reported against its own key rather than as
 * "none of the forms".
 */
export const questionSourceSchema = z
  .object({
    /** Relative to the config file's directory. */
    file: z.string().min(1).optional(),
    format: z.enum(["auto", ...QUESTION_FORMATS]).optional(),
    builtin: z.enum(BUILTIN_SETS).optional(),
    generator: z.literal("arithmetic").optional(),
    /** Keep the first `limit` items (after shuffling, if on). */
    limit: z.number().int().min(1).max(LIMITS.questions).optional(),
    /** Shuffle with the run's seeded question stream. */
    shuffle: z.boolean().optional(),
    /** Questions to generate. */
    count: z.number().int().min(1).max(LIMITS.questions).optional(),
    /** Operands per expression; 6 gives Du et al.'s a+b*c+d-e*f. */
    terms: z.number().int().min(2).max(20).optional(),
    /** Largest operand; Du et al. draw numpy randint(0, 30), i.e. 0..29. */
    maxOperand: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    const kinds = (Object.keys(SOURCE_KEYS) as SourceKind[]).filter(
      (kind) => source[kind] !== undefined,
    );
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        input: source,
        message: "exactly one of file, builtin or generator: arithmetic",
      });
      return;
    }
    const kind = kinds[0]!;
    const allowed: readonly string[] = SOURCE_KEYS[kind];
    for (const key of Object.keys(source)) {
      if (key !== kind && !allowed.includes(key))
        ctx.addIssue({
          code: "custom",
          path: [key],
          input: source[key as keyof typeof source],
          message: `no ${key} with ${kind} (it takes ${allowed.join(", ")})`,
        });
    }
    if (kind === "generator" && source.count === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["count"],
        input: undefined,
        message: "the number of questions to generate (an integer >= 1)",
      });
  })
  .transform((source) => source as QuestionSource);

type Selection = { limit?: number | undefined; shuffle?: boolean | undefined };
export type QuestionSource =
  | ({ file: string; format?: "auto" | QuestionFormat | undefined } & Selection)
  | ({ builtin: BuiltinSet } & Selection)
  | {
      generator: "arithmetic";
      count: number;
      terms?: number | undefined;
      maxOperand?: number | undefined;
    };

export interface LoadOptions {
  /** Directory that relative file paths resolve against (the config file's directory). */
  baseDir: string;
  /** Seeded stream for shuffling and generation; nothing else draws from it. */
  rng: Rng;
}

/**
 * Loads, checks and selects the items of one source. Bad input throws a ConfigError naming file,
 * line and field.
 */
export function loadQuestions(source: QuestionSource, opts: LoadOptions): Question[] {
  if ("generator" in source)
    return generateArithmetic(
      { count: source.count, terms: source.terms, maxOperand: source.maxOperand },
      opts.rng,
    );
  const items =
    "builtin" in source
      ? readQuestionFile(
          join(DATA_DIR, BUILTIN_FILES[source.builtin].file),
          BUILTIN_FILES[source.builtin].format,
          `builtin:${source.builtin}`,
        )
      : readQuestionFile(resolve(opts.baseDir, source.file), source.format ?? "auto", source.file);
  const ordered = source.shuffle ? opts.rng.shuffle(items) : items;
  return source.limit === undefined ? ordered : ordered.slice(0, source.limit);
}
