/** The parsing rules of answers.ts, one case per rule. */
import { describe, expect, it } from "vitest";
import { parseContribution } from "./answers.js";

const rules = { endowment: 20, outOfRange: "reject" as const };
const amount = (text: string, r = rules) => {
  const outcome = parseContribution(text, r);
  return outcome.ok ? outcome.amount : outcome.reason;
};

describe("contribution answers", () => {
  it("reads the first number after the last Answer label, markdown and units allowed", () => {
    expect(amount("Justification: be fair.\nAnswer: 5")).toBe(5);
    expect(amount("**Answer:** $7.5 units")).toBe(7.5);
    expect(amount("### Answer - 12")).toBe(12);
    expect(amount("Answer: 3\nOn second thought...\nAnswer: 4")).toBe(4);
    const outcome = parseContribution("Justification: I trust my neighbours.\n\nAnswer: 10", rules);
    expect(outcome).toEqual({
      ok: true,
      amount: 10,
      justification: "I trust my neighbours.",
      clamped: false,
    });
  });

  it("reads thousands separators, decimal commas, fractions and percentages of the endowment", () => {
    expect(amount("Answer: 2,5")).toBe(2.5);
    expect(amount("Answer: 1/2")).toBe(0.5);
    expect(amount("Answer: 50%")).toBe(10);
    expect(amount("Answer: 25 percent")).toBe(5);
    expect(amount("Answer: 1,000")).toMatch(/^amount 1000 exceeds the endowment 20/);
  });

  it("says why an answer is unusable", () => {
    expect(amount("I give five units.")).toMatch(/^no 'Answer:' label/);
    expect(amount("Answer: five")).toMatch(/^no amount in answer "five"/);
    expect(amount("Answer: 3/0")).toMatch(/^a fraction over zero/);
    expect(amount("Answer: -2")).toMatch(/^amount -2 is negative/);
    expect(amount("Answer: 21")).toMatch(/exceeds the endowment 20/);
  });

  it("clamps out-of-range amounts when told to, and snaps within tolerance", () => {
    expect(parseContribution("Answer: 25", { endowment: 20, outOfRange: "clamp" })).toMatchObject({
      ok: true,
      amount: 20,
      clamped: true,
    });
    expect(parseContribution("Answer: -1", { endowment: 20, outOfRange: "clamp" })).toMatchObject({
      ok: true,
      amount: 0,
      clamped: true,
    });
    expect(amount("Answer: 20.0000000001")).toBe(20);
  });

  it("reads structured (JSON) answers from their fields", () => {
    expect(parseContribution('{"justification": "half", "amount": 10}', rules)).toEqual({
      ok: true,
      amount: 10,
      justification: "half",
      clamped: false,
    });
    expect(amount('{"justification": "x", "amount": "10"}')).toMatch(
      /^amount "10" is not a number/,
    );
    expect(amount('{"justification": "x", "amount": 30}')).toMatch(/exceeds the endowment/);
    // JSON without an amount field is read as text: no label.
    expect(amount('{"contribution": 10}')).toMatch(/^no 'Answer:' label/);
  });
});
