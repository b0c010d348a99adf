import { describe, expect, it } from "vitest";
import { parseDonation, parseStrategy, type Punishment } from "../parse.js";

const opts = (
  punishment: Punishment = "none",
  holdings = 10,
  outOfRange: "reject" | "clamp" = "reject",
) => ({
  punishment,
  holdings,
  outOfRange,
});
const donate = (amount: number, clamped = false) => ({
  ok: true,
  action: { kind: "donate", amount },
  justification: "",
  clamped,
});
const punish = (amount: number) => ({
  ok: true,
  action: { kind: "punish", amount },
  justification: "",
  clamped: false,
});

describe("parseDonation amount forms", () => {
  it.each([
    ["Answer: 5", 10, 5],
    ["Answer: 5.5", 10, 5.5],
    ["Answer: **5**", 10, 5],
    ["Answer: $5", 10, 5],
    ["Answer: 5 units", 10, 5],
    ["Answer: 5.0 units of resource", 10, 5],
    ["Answer: 2,5", 10, 2.5],
    ["Answer: 2,5 units", 10, 2.5],
    ["Answer: 2,5 or 7", 10, 2],
    ["Answer: 1,000", 2000, 1000],
    ["Answer: 1,000.5", 2000, 1000.5],
    ["Answer: 50%", 10, 5],
    ["Answer: 50 %", 10, 5],
    ["Answer: 50 percent", 10, 5],
    ["Answer: 25%", 10, 2.5],
    ["Answer: 33%", 10, 3.3],
    ["Answer: 100%", 10, 10],
    ["Answer: 0", 10, 0],
    ["Answer: -0", 10, 0],
    ["Answer: 1/2", 10, 0.5],
    ["Answer: 3 / 4 units", 10, 0.75],
    ["Answer: I will donate 4 units (40%)", 10, 4],
    ["Answer: 10", 10, 10],
    ["Answer: 10.0000000001", 10, 10],
    ["Answer:\n\n  7\n", 10, 7],
  ])("%j (holdings %d) -> %d", (text, holdings, amount) => {
    expect(parseDonation(text, opts("none", holdings))).toEqual(donate(amount));
  });
});

describe("parseDonation labels and justification", () => {
  it.each([
    ["**Answer:** 5", 5],
    ["**Answer**: 5", 5],
    ["### Answer: 5", 5],
    ["Answer - 5", 5],
    ["answer: 5", 5],
    ["ANSWER: 5", 5],
    ["__Answer__: 5", 5],
    ["Final answer: 5", 5],
    ["Answer: 3\nActually, on reflection...\nAnswer: 6", 6],
    ["Justification: my answer: 2 was too low.\nAnswer: 4", 4],
  ])("%j -> %d", (text, amount) => {
    const out = parseDonation(text, opts());
    expect(out.ok && out.action).toEqual({ kind: "donate", amount });
  });

  it("extracts the justification without its label", () => {
    expect(parseDonation("Justification: They were generous.\nAnswer: 6", opts())).toEqual({
      ok: true,
      action: { kind: "donate", amount: 6 },
      justification: "They were generous.",
      clamped: false,
    });
  });

  it("extracts a markdown justification", () => {
    const out = parseDonation("**Justification:** Reciprocity matters.\n\n**Answer:** 3", opts());
    expect(out).toEqual({
      ok: true,
      action: { kind: "donate", amount: 3 },
      justification: "Reciprocity matters.",
      clamped: false,
    });
  });

  it("keeps earlier answers in the justification when several labels appear", () => {
    const out = parseDonation("Justification: Answer: 1 seems low.\nAnswer: 2", opts());
    expect(out).toEqual({
      ok: true,
      action: { kind: "donate", amount: 2 },
      justification: "Answer: 1 seems low.",
      clamped: false,
    });
  });

  it("justification without a label is the text before 'Answer:'", () => {
    expect(parseDonation("I keep half.\nAnswer: 5", opts())).toEqual({
      ok: true,
      action: { kind: "donate", amount: 5 },
      justification: "I keep half.",
      clamped: false,
    });
  });
});

describe("parseDonation failures", () => {
  it.each([
    ["I donate 5", "no 'Answer:' label in response \"I donate 5\""],
    ["The answer is 5", "no 'Answer:' label in response \"The answer is 5\""],
    ["Answer: nothing", 'no amount in answer "nothing"'],
    ["Answer:", 'no amount in answer ""'],
    ["Answer: five", 'no amount in answer "five"'],
    ["Answer: -3", 'amount -3 is negative in answer "-3"'],
    ["Answer: Donate -3 units", 'amount -3 is negative in answer "Donate -3 units"'],
    ["Answer: 15", 'amount 15 exceeds holdings 10 in answer "15"'],
    ["Answer: 150%", 'amount 15 exceeds holdings 10 in answer "150%"'],
    ["Answer: 1,000", 'amount 1000 exceeds holdings 10 in answer "1,000"'],
    ["Answer: 1/0", 'fraction with zero denominator in answer "1/0"'],
  ])("%j", (text, reason) => {
    expect(parseDonation(text, opts())).toEqual({ ok: false, reason });
  });

  it("truncates long quotes to 80 characters", () => {
    const answer = "x".repeat(100);
    expect(parseDonation(`Answer: ${answer}`, opts())).toEqual({
      ok: false,
      reason: `no amount in answer "${"x".repeat(77)}..."`,
    });
  });

  it("flattens whitespace in quotes", () => {
    expect(parseDonation("Answer:  none\n\tat all", opts())).toEqual({
      ok: false,
      reason: 'no amount in answer "none at all"',
    });
  });
});

describe("parseDonation clamping", () => {
  it.each([
    ["Answer: 15", 10],
    ["Answer: -3", 0],
    ["Answer: 200%", 10],
  ])("%j -> %d", (text, amount) => {
    expect(parseDonation(text, opts("none", 10, "clamp"))).toEqual(donate(amount, true));
  });

  it("does not flag in-range amounts", () => {
    expect(parseDonation("Answer: 4", opts("none", 10, "clamp"))).toEqual(donate(4));
  });

  it("clamps punishments too", () => {
    expect(parseDonation("Answer: Punish, 12", opts("costly", 10, "clamp"))).toEqual({
      ok: true,
      action: { kind: "punish", amount: 10 },
      justification: "",
      clamped: true,
    });
  });
});

describe("parseDonation partner choice", () => {
  it.each([
    ["Answer: Refuse to play", { kind: "refuse" }],
    ["Answer: **Refuse**", { kind: "refuse" }],
    ["Answer: I refuse", { kind: "refuse" }],
    ["Answer: 4", { kind: "donate", amount: 4 }],
    ["Answer: Donate 2.5", { kind: "donate", amount: 2.5 }],
  ])("%j", (text, action) => {
    const out = parseDonation(text, opts("partner-choice"));
    expect(out).toEqual({ ok: true, action, justification: "", clamped: false });
  });

  it("refuse is not an action without partner choice", () => {
    expect(parseDonation("Answer: Refuse to play", opts("costly"))).toEqual({
      ok: false,
      reason: 'no amount in answer "Refuse to play"',
    });
    expect(parseDonation("Answer: Refuse to play", opts("none"))).toEqual({
      ok: false,
      reason: 'no amount in answer "Refuse to play"',
    });
  });
});

describe("parseDonation costly punishment", () => {
  it.each([
    ["Answer: Donate, 5", donate(5)],
    ["Answer: Punish, 2", punish(2)],
    ["Answer: punish 2 units", punish(2)],
    ["Answer: **Donate**: 3.5", donate(3.5)],
    ["Answer: Punish: 1.5", punish(1.5)],
    ["Answer: PUNISH - 3", punish(3)],
    ["Answer: Give 4", donate(4)],
    ["Answer: Donation of 6 units", donate(6)],
    ["Answer: 3", donate(3)],
    ["Answer: Punish, 50%", punish(5)],
    ["Answer: Punish, 2,5", punish(2.5)],
    ["Answer: Round 3: Punish, 2", punish(2)],
    ["Answer: Punish with 1/2", punish(0.5)],
  ])("%j", (text, expected) => {
    expect(parseDonation(text, opts("costly"))).toEqual(expected);
  });

  it("fails when the keyword has no number after it", () => {
    expect(parseDonation("Answer: 3, punish", opts("costly"))).toEqual({
      ok: false,
      reason: 'no amount in answer "3, punish"',
    });
  });

  it("rejects out-of-range punishments", () => {
    expect(parseDonation("Answer: Punish, 11", opts("costly"))).toEqual({
      ok: false,
      reason: 'amount 11 exceeds holdings 10 in answer "Punish, 11"',
    });
  });

  it("ignores keywords without costly punishment", () => {
    expect(parseDonation("Answer: Punish, 2", opts("none"))).toEqual(donate(2));
  });
});

describe("parseStrategy", () => {
  it("splits at the first 'My strategy will be'", () => {
    const text =
      "Cooperation paid off.\n\nMy strategy will be to donate 50%. My strategy will be fair.\n";
    expect(parseStrategy(text)).toEqual({
      ok: true,
      justification: "Cooperation paid off.",
      strategy: "My strategy will be to donate 50%. My strategy will be fair.",
    });
  });

  it("matches the phrase case-insensitively and keeps it verbatim", () => {
    expect(parseStrategy("Justification: reasons\nMY STRATEGY WILL BE generous.")).toEqual({
      ok: true,
      justification: "reasons",
      strategy: "MY STRATEGY WILL BE generous.",
    });
  });

  it("an answer without the phrase is unusable, never a strategy", () => {
    expect(parseStrategy("  Donate half to everyone.\n")).toEqual({
      ok: false,
      reason: `no 'My strategy will be' in response "Donate half to everyone."`,
    });
  });
});

describe("structured (JSON) answers", () => {
  const json = (value: unknown) => JSON.stringify(value);

  it("reads a donation's amount and justification from a JSON object", () => {
    expect(parseDonation(json({ justification: "x", amount: 3 }), opts())).toEqual({
      ok: true,
      action: { kind: "donate", amount: 3 },
      justification: "x",
      clamped: false,
    });
    expect(parseDonation(`  ${json({ justification: " why ", amount: 0 })}\n`, opts())).toEqual({
      ok: true,
      action: { kind: "donate", amount: 0 },
      justification: "why",
      clamped: false,
    });
  });

  it("applies the text's range rules to the amount", () => {
    expect(parseDonation(json({ justification: "", amount: 11 }), opts())).toEqual({
      ok: false,
      reason: `amount 11 exceeds holdings 10 in answer "{"justification":"","amount":11}"`,
    });
    expect(parseDonation(json({ justification: "", amount: -1 }), opts())).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^amount -1 is negative/),
    });
    expect(
      parseDonation(json({ justification: "", amount: 11 }), opts("none", 10, "clamp")),
    ).toEqual({
      ok: true,
      action: { kind: "donate", amount: 10 },
      justification: "",
      clamped: true,
    });
    // Up to the rounded figure the prompt showed means everything, as in text.
    expect(
      parseDonation(json({ justification: "", amount: 3.34 }), {
        ...opts("none", 3.335),
        shownHoldings: 3.34,
      }),
    ).toMatchObject({ ok: true, action: { amount: 3.335 } });
  });

  it("an amount that is not a JSON number is unusable (no reading of strings)", () => {
    expect(parseDonation(json({ justification: "", amount: "3" }), opts())).toEqual({
      ok: false,
      reason: `amount "3" is not a number in answer "{"justification":"","amount":"3"}"`,
    });
    expect(parseDonation(json({ justification: "", amount: null }), opts())).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^amount null is not a number/),
    });
  });

  it("reads the action under costly punishment and partner choice", () => {
    expect(
      parseDonation(json({ justification: "", action: "punish", amount: 2 }), opts("costly")),
    ).toEqual(punish(2));
    expect(
      parseDonation(json({ justification: "", action: "donate", amount: 2 }), opts("costly")),
    ).toEqual(donate(2));
    expect(
      parseDonation(
        json({ justification: "", action: "refuse", amount: 99 }),
        opts("partner-choice"),
      ),
    ).toEqual({ ok: true, action: { kind: "refuse" }, justification: "", clamped: false });
    expect(
      parseDonation(json({ justification: "", action: "refuse", amount: 2 }), opts("costly")),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^action "refuse" is not "donate" or "punish"/),
    });
    expect(
      parseDonation(json({ justification: "", amount: 2 }), opts("partner-choice")),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^action missing is not "donate" or "refuse"/),
    });
  });

  it("anything that is not a JSON object with the answer's field keeps the free-text rules", () => {
    expect(parseDonation(json({ answer: 3 }), opts())).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^no 'Answer:' label/),
    });
    expect(parseDonation(`${json({ amount: 3 })} Answer: 4`, opts())).toMatchObject({
      ok: true,
      action: { kind: "donate", amount: 4 },
    });
    expect(parseDonation("{not json}\nAnswer: 4", opts())).toMatchObject({
      ok: true,
      action: { kind: "donate", amount: 4 },
    });
  });

  it("reads a strategy from its field, and an empty one is unusable", () => {
    expect(parseStrategy(json({ justification: "j", strategy: " give half " }))).toEqual({
      ok: true,
      justification: "j",
      strategy: "give half",
    });
    expect(parseStrategy(json({ justification: "j", strategy: "" }))).toEqual({
      ok: false,
      reason: `no strategy in answer "{"justification":"j","strategy":""}"`,
    });
  });
});
