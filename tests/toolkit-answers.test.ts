import { describe, expect, it } from "vitest";
import {
  jsonObject,
  labelPattern,
  labelSource,
  quoteReply,
  readAmount,
  splitAtLastLabel,
  stripLeadingLabel,
  wholeJsonObject,
} from "../sim/toolkit/answers.js";

describe("labels", () => {
  it.each([
    ["Answer: 5", "5"],
    ["answer:5", "5"],
    ["**Answer:** 5", "5"],
    ["**Answer**: 5", "5"],
    ["### Answer: 5", "5"],
    ["__Answer__: 5", "5"],
    ["Answer - 5", "5"],
    ["Answer \u2014 5", "5"],
    ["Answer:\n5", "5"],
  ])("%j reads %j after the label", (text, after) => {
    expect(splitAtLastLabel(text, "answer")?.after).toBe(after);
  });

  it.each(["The answer is 5", "Answer-5", "Answers: 5", "Reanswer: 5", "Answer\n: 5"])(
    "%j has no label",
    (text) => {
      expect(splitAtLastLabel(text, "answer")).toBeNull();
    },
  );

  it("splits at the last label; markdown before it is part of the label", () => {
    expect(
      splitAtLastLabel("I think. Answer: 3\nOn reflection, **Answer:** 4 units", "answer"),
    ).toEqual({
      before: "I think. Answer: 3\nOn reflection, ",
      after: "4 units",
    });
  });

  it("optionally accepts a line break before the separator and a fullwidth colon", () => {
    const strict = new RegExp(labelSource("answer"), "i");
    const lenient = new RegExp(
      labelSource("answer", { acrossLines: true, fullwidthColon: true }),
      "i",
    );
    expect(strict.test("Answer\n: 5")).toBe(false);
    expect(lenient.test("Answer\n: 5")).toBe(true);
    expect(strict.test("Answer\uff1a 5")).toBe(false);
    expect(lenient.test("Answer\uff1a 5")).toBe(true);
  });

  it("a label pattern is global and case-insensitive; a leading label is stripped", () => {
    expect([..."ANSWER: 1 answer: 2".matchAll(labelPattern("answer"))]).toHaveLength(2);
    expect(stripLeadingLabel("  **Justification:** because\n", "justification")).toBe("because");
    expect(stripLeadingLabel("No label. Justification: x", "justification")).toBe(
      "No label. Justification: x",
    );
  });
});

describe("readAmount", () => {
  const read = (text: string, percentOf = 10, context?: string) =>
    readAmount(text, { percentOf, ...(context === undefined ? {} : { context }) });

  it.each([
    ["5", 5],
    ["5.5", 5.5],
    ["**5**", 5],
    ["$5", 5],
    ["5.0 units", 5],
    ["1,000", 1000],
    ["1,000.5", 1000.5],
    ["2,5", 2.5],
    ["2,5 of 10", 2],
    ["1/2", 0.5],
    ["3 / 4", 0.75],
    ["50%", 5],
    ["50 %", 5],
    ["50 percent", 5],
    ["1/4 %", 0.025],
    ["-3", -3],
    ["\u22123", -3],
    ["x-3", 3],
    ["Round 2: 4", 2],
  ])("%j -> %d", (text, value) => {
    expect(read(text)).toEqual({ ok: true, value });
  });

  it("percentages are a share of percentOf", () => {
    expect(read("25%", 8)).toEqual({ ok: true, value: 2 });
  });

  it("the context decides the decimal comma", () => {
    expect(read("2,5", 10, "Punish, 2,5")).toEqual({ ok: true, value: 2.5 });
    expect(read("2,5", 10, "Round 3: 2,5")).toEqual({ ok: true, value: 2 });
  });

  it("says what it could not read", () => {
    expect(read("five")).toEqual({ ok: false, problem: "no number" });
    expect(read("")).toEqual({ ok: false, problem: "no number" });
    expect(read("1/0")).toEqual({ ok: false, problem: "zero denominator" });
  });
});

describe("structured replies", () => {
  it("jsonObject: the object between the first { and the last }, chatter and fences allowed", () => {
    expect(jsonObject('Here: ```json\n{"answer": "42"}\n```')).toEqual({ answer: "42" });
    expect(jsonObject("[1, 2]")).toBeNull();
    expect(jsonObject('{"a": 1')).toBeNull();
    expect(jsonObject("no json")).toBeNull();
    expect(jsonObject("{not json}")).toBeNull();
  });

  it("wholeJsonObject: only a reply that is one object, white space aside", () => {
    expect(wholeJsonObject('  {"amount": 3}\n')).toEqual({ amount: 3 });
    expect(wholeJsonObject('{"amount": 3} Answer: 4')).toBeNull();
    expect(wholeJsonObject('Sure: {"amount": 3}')).toBeNull();
    expect(wholeJsonObject("[]")).toBeNull();
    expect(wholeJsonObject("null")).toBeNull();
  });
});

describe("quoteReply", () => {
  it("flattens white space and cuts at 80 characters", () => {
    expect(quoteReply(" a\n\tb ")).toBe('"a b"');
    expect(quoteReply("x".repeat(100))).toBe(`"${"x".repeat(77)}..."`);
    expect(quoteReply("x".repeat(80))).toBe(`"${"x".repeat(80)}"`);
  });
});
