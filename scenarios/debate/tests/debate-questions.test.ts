import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isCorrect, normalizeAnswer, readAnswer } from "../answers.js";
import { generateArithmetic } from "../arithmetic.js";
import {
  loadQuestions,
  questionSourceSchema,
  type Question,
  type QuestionSource,
} from "../questions.js";
import { ConfigError } from "../../../sim/core/errors.js";
import { Rng } from "../../../sim/core/rng.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const FIXTURES = join(ROOT, "tests/fixtures/debate");
const load = (source: QuestionSource, seed = 1) =>
  loadQuestions(source, { baseDir: FIXTURES, rng: new Rng(seed, ["questions"]) });

/** The ConfigError a load throws, so tests can assert on its parts. */
function loadError(source: QuestionSource): ConfigError {
  try {
    load(source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("JSONL questions", () => {
  const questions = load({ file: "questions.jsonl" });

  it("reads every field, a single answer string and numeric answers", () => {
    expect(questions.map((q) => q.id)).toEqual([
      "speed",
      "questions-2",
      "questions-3",
      "7",
      "questions-5",
    ]);
    expect(questions[0]).toEqual({
      id: "speed",
      question:
        "A cyclist rides up a hill at 10 km/h and down at 30 km/h. What is the average speed for the round trip, in km/h?",
      answers: ["15"],
      trap: "20",
      explanation: "Harmonic mean: 2 * 10 * 30 / 40 = 15.",
      source: "questions.jsonl",
    });
    expect(questions[2]).toMatchObject({
      answers: ["B"],
      choices: ["Venus", "Mercury", "Mars"],
      trap: "Venus",
      topic: "astronomy",
    });
    expect(questions[3]!.answers).toEqual(["24"]);
  });

  it("keeps an item without answers as an open question (a topic)", () => {
    expect(questions[4]).toMatchObject({
      question: "Social media does more harm than good.",
      answers: [],
      topic: "social media",
    });
    expect(isCorrect("yes", questions[4]!)).toBe(false);
  });

  it("resolves file paths against the config's directory", () => {
    expect(() =>
      loadQuestions({ file: "questions.jsonl" }, { baseDir: ROOT, rng: new Rng(1) }),
    ).toThrow(/readable question file/);
    expect(
      loadQuestions(
        { file: "tests/fixtures/debate/questions.jsonl" },
        { baseDir: ROOT, rng: new Rng(1) },
      ),
    ).toHaveLength(5);
  });
});

describe("CIAR layout (MAD repository)", () => {
  const questions = load({ file: "ciar-sample.json" });

  it("takes `answer` as the accepted list and the first `incorrect answer` as the trap", () => {
    expect(questions).toHaveLength(5);
    expect(questions[0]).toMatchObject({
      id: "ciar-sample-1",
      answers: ["6"],
      trap: "8",
      source: "ciar-sample.json",
    });
    expect(questions[0]!.explanation).toMatch(/^For a 12 km lake/);
    expect(questions[1]).toMatchObject({ answers: ["46.15%", "6/13"], trap: "60%" });
    expect(questions[2]).toMatchObject({ answers: ["12"] });
    expect(questions[2]!.trap).toBeUndefined();
  });

  it("drops a trap that the matching rules count correct, and reads ratios", () => {
    expect(questions[3]).toMatchObject({ answers: ["3 or 9"] });
    expect(questions[3]!.trap).toBeUndefined();
    expect(questions[4]).toMatchObject({ answers: ["1:1", "50:50"], trap: "2:1" });
    expect(isCorrect("1:1", questions[4]!)).toBe(true);
    expect(isCorrect("2:1", questions[4]!)).toBe(false);
    expect(isCorrect("1:2", questions[4]!)).toBe(false);
  });

  it("is detected from the .json extension, and accepted in the forms it lists", () => {
    expect(load({ file: "ciar-sample.json", format: "ciar" })).toEqual(questions);
    expect(isCorrect("0.4615", questions[1]!)).toBe(true);
    expect(isCorrect("6/13", questions[1]!)).toBe(true);
    expect(isCorrect("60%", questions[1]!)).toBe(false);
  });

  it("names the file, the item's line and the field when `answer` is missing", () => {
    const error = loadError({ file: "ciar-missing-answer.json" });
    expect(error.path).toBe("ciar-missing-answer.json, line 7, field answer");
    expect(error.message).toMatch(/got nothing, expected a string or a list of non-empty strings/);
  });
});

describe("GSM8K layout", () => {
  const questions = load({ file: "gsm-layout.jsonl" });

  it("accepts the number after ####, without thousands commas, and keeps the worked solution", () => {
    expect(questions.map((q) => q.answers)).toEqual([["31"], ["1200"], ["-7"]]);
    expect(questions[0]!.explanation).toBe(
      "She makes 3 * 12 = 36 rolls.\nShe sells 36 - 5 = 31 rolls.",
    );
    expect(questions[0]!.trap).toBeUndefined();
    expect(questions.map((q) => q.id)).toEqual(["gsm-layout-1", "gsm-layout-2", "gsm-layout-3"]);
  });

  it("is detected from the content of a .jsonl file", () => {
    expect(load({ file: "gsm-layout.jsonl", format: "gsm8k" })).toEqual(questions);
    expect(() => load({ file: "gsm-layout.jsonl", format: "jsonl" })).toThrow(
      /field answer: .*a GSM8K file needs format: gsm8k/,
    );
  });

  it("rejects a solution without the #### marker, naming the line", () => {
    const error = loadError({ file: "gsm-no-marker.jsonl" });
    expect(error.path).toBe("gsm-no-marker.jsonl, line 2, field answer");
    expect(error.message).toMatch(/"3 \+ 3 = 6, so the answer is 6\."/);
    expect(error.message).toMatch(/#### <number>/);
  });
});

describe("bad question files", () => {
  it.each([
    [
      "bad-answers.jsonl",
      "bad-answers.jsonl, line 3, field answers",
      /got \[4,\{"value":4\}\], expected a string or a list/,
    ],
    [
      "missing-question.jsonl",
      "missing-question.jsonl, line 2, field question",
      /got nothing, expected a non-empty string/,
    ],
    [
      "unknown-field.jsonl",
      "unknown-field.jsonl, line 2, field prompt",
      /got "What is 2 \+ 2\?", expected no such field \(known fields: id, question/,
    ],
    ["broken-json.jsonl", "broken-json.jsonl, line 2", /expected one JSON object per line/],
    [
      "trap-correct.jsonl",
      "trap-correct.jsonl, line 1, field trap",
      /got "3\/2", expected a wrong answer \(it matches an accepted answer\)/,
    ],
    [
      "duplicate-id.jsonl",
      "duplicate-id.jsonl, line 2, field id",
      /got "a", expected an id not already used \(line 1 has it\)/,
    ],
    [
      "choice-not-an-option.jsonl",
      "choice-not-an-option.jsonl, line 1, field answers",
      /got "E", expected an option letter or an option's text/,
    ],
  ])("%s", (file, path, message) => {
    const error = loadError({ file });
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });

  it("names the missing file", () => {
    expect(loadError({ file: "no-such-file.jsonl" }).message).toMatch(
      /^no-such-file\.jsonl: got ".*no-such-file\.jsonl", expected a readable question file/,
    );
  });
});

describe("selection", () => {
  const ids = (questions: Question[]) => questions.map((q) => q.id);
  const all = ids(load({ builtin: "counterintuitive" }));

  it("keeps file order without shuffle, and `limit` takes the first items", () => {
    expect(ids(load({ builtin: "counterintuitive", limit: 5 }))).toEqual(all.slice(0, 5));
  });

  it("shuffles with the given stream only: same seed same order, another seed another order", () => {
    const a = ids(load({ builtin: "counterintuitive", shuffle: true }, 1));
    expect(ids(load({ builtin: "counterintuitive", shuffle: true }, 1))).toEqual(a);
    expect(ids(load({ builtin: "counterintuitive", shuffle: true }, 2))).not.toEqual(a);
    expect(a).not.toEqual(all);
    expect([...a].sort()).toEqual([...all].sort());
    expect(ids(load({ builtin: "counterintuitive", shuffle: true, limit: 4 }, 1))).toEqual(
      a.slice(0, 4),
    );
  });
});

describe("question source schema", () => {
  it.each([
    [{ file: "q.jsonl" }, true],
    [{ file: "q.json", format: "ciar", limit: 10, shuffle: true }, true],
    [{ builtin: "counterintuitive" }, true],
    [{ generator: "arithmetic", count: 20, terms: 4, maxOperand: 9 }, true],
    [{ builtin: "nope" }, false],
    [{ file: "q.jsonl", builtin: "topics" }, false],
    [{ file: "q.jsonl", format: "csv" }, false],
    [{ generator: "arithmetic", count: 0 }, false],
    [{ generator: "arithmetic" }, false],
    [{ builtin: "topics", limit: 0 }, false],
    [{ builtin: "topics", count: 3 }, false],
    [{ generator: "arithmetic", count: 3, shuffle: true }, false],
    [{}, false],
  ])("%j valid: %s", (source, valid) => {
    expect(questionSourceSchema.safeParse(source).success).toBe(valid);
  });

  it("reports a mistake against its own key", () => {
    const issues = (source: unknown) =>
      questionSourceSchema
        .safeParse(source)
        .error!.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues({ builtin: "topics", count: 3 })).toEqual([
      ["count", "no count with builtin (it takes limit, shuffle)"],
    ]);
    expect(issues({ generator: "arithmetic" })).toEqual([
      ["count", "the number of questions to generate (an integer >= 1)"],
    ]);
    expect(issues({ file: "a.jsonl", builtin: "topics" })).toEqual([
      ["", "exactly one of file, builtin or generator: arithmetic"],
    ]);
  });
});

describe("shipped question sets", () => {
  const counterintuitive = load({ builtin: "counterintuitive" });

  it("has at least 40 counter-intuitive questions, each with answers, a trap and an explanation", () => {
    expect(counterintuitive.length).toBeGreaterThanOrEqual(40);
    for (const q of counterintuitive) {
      expect(q.answers.length, q.id).toBeGreaterThan(0);
      expect(q.trap, q.id).toBeDefined();
      expect(q.explanation, q.id).toBeDefined();
      expect(q.source).toBe("builtin:counterintuitive");
    }
  });

  it.each(counterintuitive.map((q) => [q.id, q] as const))(
    "%s: accepted answers match, the trap does not",
    (_id, q) => {
      for (const answer of q.answers) {
        expect(isCorrect(answer, q), answer).toBe(true);
        expect(readAnswer(`Let me think it through.\nAnswer: ${answer}`, q), answer).not.toBeNull();
        expect(
          isCorrect(readAnswer(`Let me think it through.\nAnswer: ${answer}`, q), q),
          answer,
        ).toBe(true);
      }
      for (const raw of [...q.answers, q.trap!]) {
        const key = normalizeAnswer(raw, q)!;
        expect(normalizeAnswer(key, q), raw).toBe(key);
      }
      expect(isCorrect(q.trap!, q)).toBe(false);
      expect(
        isCorrect(readAnswer(`At first sight it looks easy.\nThe answer is ${q.trap}.`, q), q),
      ).toBe(false);
    },
  );

  it("has at least 6 persona-debate topics without answers", () => {
    const topics = load({ builtin: "topics" });
    expect(topics.length).toBeGreaterThanOrEqual(6);
    for (const t of topics) {
      expect(t.answers).toEqual([]);
      expect(t.topic).toMatch(/\w/);
      expect(t.question).toMatch(/\.$/);
    }
  });

  it("ships a GSM8K sample of at most 20 items with its MIT notice", () => {
    const sample = load({ builtin: "gsm8k-sample" });
    expect(sample.length).toBeGreaterThan(0);
    expect(sample.length).toBeLessThanOrEqual(20);
    for (const q of sample) expect(isCorrect(q.answers[0]!, q)).toBe(true);
    const licence = join(ROOT, "scenarios/debate/data/gsm8k-sample.LICENSE");
    expect(existsSync(licence)).toBe(true);
    expect(readFileSync(licence, "utf8")).toMatch(
      /MIT License[\s\S]*Copyright \(c\) 2021 OpenAI[\s\S]*Permission is hereby granted/,
    );
  });
});

describe("arithmetic generator (Du et al.)", () => {
  const questions = generateArithmetic({ count: 200 }, new Rng(7, ["arithmetic"]));
  const expressionOf = (q: Question) =>
    /^What is the result of ([\d+\-*]+)\?$/.exec(q.question)![1]!;

  it("writes a+b*c+d-e*f with operands 0..29 by default", () => {
    const operands = questions.flatMap((q) => {
      const expression = expressionOf(q);
      expect(expression).toMatch(/^\d+\+\d+\*\d+\+\d+-\d+\*\d+$/);
      return expression.split(/[+\-*]/).map(Number);
    });
    expect(Math.min(...operands)).toBe(0);
    expect(Math.max(...operands)).toBe(29);
  });

  it("answers with the value under the usual precedence, and traps with left-to-right evaluation", () => {
    for (const q of questions) {
      const expression = expressionOf(q);
      expect(q.answers).toEqual([String(new Function(`return ${expression}`)())]);
      expect(isCorrect(q.trap ?? null, q)).toBe(false);
      const [first, ...rest] = expression.match(/\d+|[+\-*]/g)!;
      let leftToRight = Number(first);
      for (let i = 0; i < rest.length; i += 2)
        leftToRight = eval(`${leftToRight}${rest[i]}${rest[i + 1]}`) as number;
      if (leftToRight !== Number(q.answers[0])) expect(q.trap).toBe(String(leftToRight));
    }
  });

  it("is seeded by the given stream, and honours terms and maxOperand", () => {
    expect(generateArithmetic({ count: 200 }, new Rng(7, ["arithmetic"]))).toEqual(questions);
    expect(generateArithmetic({ count: 5 }, new Rng(8, ["arithmetic"]))).not.toEqual(
      questions.slice(0, 5),
    );
    const short = generateArithmetic({ count: 50, terms: 4, maxOperand: 3 }, new Rng(1));
    for (const q of short) expect(expressionOf(q)).toMatch(/^[0-3]\+[0-3]\*[0-3]\+[0-3]$/);
    expect(load({ generator: "arithmetic", count: 3 }).map((q) => q.id)).toEqual([
      "arithmetic-1",
      "arithmetic-2",
      "arithmetic-3",
    ]);
  });
});
