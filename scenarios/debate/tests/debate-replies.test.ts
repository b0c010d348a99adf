/**
 * Reading judges, surveys, advice and summaries (scenarios/debate/replies.ts) the way models
 * actually write them: JSON in code fences or with chatter around it, broken JSON, side names in
 * any
 * case, structured (JSON) replies; and what each reader refuses to use.
 */
import { describe, expect, it } from "vitest";
import type { Question } from "../questions.js";
import { parseAdvice, parseAttitude, parseJudge, parseSummary } from "../replies.js";

const Q: Question = { id: "q", question: "What is 2+2?", answers: ["4"], source: "test" };
const SIDES = ["affirmative", "negative"];

describe("parseJudge", () => {
  it("reads MAD's JSON inside a code fence with text around it", () => {
    const text =
      'After weighing both sides:\n```json\n{"Whether there is a preference": "Yes", "Supported Side": "Negative", "Reason": "sound", "debate_answer": "4.0"}\n```\nThat is my ruling.';
    expect(parseJudge(text, SIDES, Q, false)).toEqual({
      decided: true,
      side: "negative",
      answer: "4",
      usable: true,
    });
  });

  it("an undecided round names no side and no answer, whatever else the JSON says", () => {
    const text =
      '{"Whether there is a preference": "No", "Supported Side": "Affirmative", "Reason": "", "debate_answer": "5"}';
    expect(parseJudge(text, SIDES, Q, false)).toEqual({
      decided: false,
      side: null,
      answer: null,
      usable: true,
    });
  });

  it("a ruling that cannot be used decides nothing: a round preference neither yes nor no, a yes or a final ruling naming nothing", () => {
    const unusable = { decided: false, side: null, answer: null, usable: false };
    expect(
      parseJudge(
        '{"Whether there is a preference": "Maybe", "Supported Side": "Negative", "debate_answer": "4"}',
        SIDES,
        Q,
        false,
      ),
    ).toEqual(unusable);
    expect(parseJudge("the of and a to in 412 is it", SIDES, Q, false)).toEqual(unusable);
    expect(
      parseJudge(
        '{"Whether there is a preference": "Yes", "Supported Side": "", "debate_answer": ""}',
        SIDES,
        Q,
        false,
      ),
    ).toEqual(unusable);
    expect(parseJudge("the of and a to in 412 is it", SIDES, Q, true)).toEqual(unusable);
  });

  it("reads a structured ruling's fields", () => {
    const ruling = JSON.stringify({
      "Supported Side": "Affirmative",
      Reason: "the affirmative said 4, the answer is 5 elsewhere",
      debate_answer: "4",
    });
    expect(parseJudge(ruling, SIDES, Q, true)).toEqual({
      decided: true,
      side: "affirmative",
      answer: "4",
      usable: true,
    });
  });

  it("falls back to the key-value pairs when the JSON is broken, and a final ruling is always a decision", () => {
    const text =
      '{"Supported Side": "the Affirmative side", "Reason": "it said "four"", "debate_answer": "4"';
    expect(parseJudge(text, SIDES, Q, true)).toEqual({
      decided: true,
      side: "affirmative",
      answer: "4",
      usable: true,
    });
  });

  it("matches debater ids exactly before looking for one inside the text (g1-a1 is not g1-a10)", () => {
    const sides = ["g1-a1", "g1-a10"];
    expect(
      parseJudge('{"Supported Side": "g1-a10", "debate_answer": "4"}', sides, Q, true).side,
    ).toBe("g1-a10");
    expect(
      parseJudge('{"Supported Side": "agent g1-a10", "debate_answer": "4"}', sides, Q, true).side,
    ).toBe("g1-a10");
    expect(parseJudge('{"Supported Side": "", "debate_answer": ""}', sides, Q, true)).toEqual({
      decided: false,
      side: null,
      answer: null,
      usable: false,
    });
  });
});

describe("parseAttitude", () => {
  // [reply, read by default ("marked"), read "lenient" (also the last number from 0 to 10)]
  it.each([
    ["Attitude: 7", 7, 7],
    ["I lean towards it.\n**Attitude:** 6.5", 6.5, 6.5],
    ["Attitude: 3 ... on reflection, Attitude: 4", 4, 4],
    ['{"attitude": 7}', 7, 7],
    ['{"attitude": "8"}', 8, 8],
    ['{"attitude": 12} but 5 would do', null, null],
    ['{"attitude": 3', 3, 3],
    ["On a 0-10 scale I'd say 8 overall.", null, 8],
    ["Attitude: 12", null, null],
    ["No number here.", null, null],
  ])("%j -> %j (lenient: %j)", (text, marked, lenient) => {
    expect(parseAttitude(text)).toBe(marked);
    expect(parseAttitude(text, "lenient")).toBe(lenient);
  });
});

describe("parseAdvice", () => {
  it("keeps what follows 'My advice:' or a JSON advice field; leniently, else the whole reply; nothing usable is null", () => {
    expect(parseAdvice("Here goes.\nMy advice: check each step.  ")).toBe("check each step.");
    expect(parseAdvice('{"advice": " Recompute before you agree. "}')).toBe(
      "Recompute before you agree.",
    );
    expect(parseAdvice("  Always verify.  ")).toBeNull();
    expect(parseAdvice("  Always verify.  ", "lenient")).toBe("Always verify.");
    expect(parseAdvice("My advice:   ", "lenient")).toBeNull();
    expect(parseAdvice('{"advice": ""}', "lenient")).toBeNull();
  });
});

describe("parseSummary", () => {
  it("is the reply, or its JSON summary field, trimmed; an empty one is none", () => {
    expect(parseSummary("  Two say 4, one says 5.  ")).toBe("Two say 4, one says 5.");
    expect(parseSummary('{"summary": "Two say 4."}')).toBe("Two say 4.");
    expect(parseSummary(" \n ")).toBeNull();
    expect(parseSummary('{"summary": ""}')).toBeNull();
  });
});
