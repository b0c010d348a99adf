import { describe, expect, it } from "vitest";
import {
  answerKey,
  extractAnswer,
  isCorrect,
  normalizeAnswer,
  readAnswer,
  sameAnswer,
} from "../answers.js";
import type { Question } from "../questions.js";

const question = (text: string, answers: string[], extra: Partial<Question> = {}): Question => ({
  id: "q",
  question: text,
  answers,
  source: "test",
  ...extra,
});

const speed = question("What is her average speed for the round trip, in m/s?", ["1.5"]);
const milk = question("What is the percentage of milk in the cup now?", ["48%", "0.48"]);
const gsmPercent = question("What percentage of the students enrolled in hip-hop dance?", ["60"]);
const jacket = question(
  "After a 25% increase, a jacket costs $100. What was its price before, in dollars?",
  ["80"],
);
const growth = question("By what percentage did sales grow?", ["150%"]);
const planets = question("Which planet is closest to the Sun?", ["B"], {
  choices: ["Venus", "Mercury", "Mars"],
});
const fractions = question("Which is three quarters?", ["3/4"], {
  choices: ["1/2", "0.75 exactly", "1"],
});
const daughter = question("What is the fifth daughter called?", ["Mary"]);
const race = question("In which place are you now?", ["2", "second"]);
const topic = question("Remote work should be the default.", [], { topic: "remote work" });

describe("normalizeAnswer: numbers", () => {
  it.each([
    ["1.5", "1.5"],
    ["3/2", "1.5"],
    ["3 / 2", "1.5"],
    ["1 1/2", "1.5"],
    ["$1.50", "1.5"],
    ["+1.5", "1.5"],
    ["1.5 m/s", "1.5"],
    ["1.5m/s", "1.5"],
    ["15km/h", "15"],
    ["0.5kg", "0.5"],
    ["**1.5**", "1.5"],
    ["\\boxed{\\frac{3}{2}}", "1.5"],
    ["\\dfrac{3}{2} m/s", "1.5"],
    ["The speed is 1.5.", "1.5"],
    ["2 + 1 = 3, over 2 s: 3/2 = 1.5", "1.5"],
    ["15", "15"],
    ["0.15", "0.15"],
    ["2/3", "0.666666666667"],
    ["-1.5", "-1.5"],
    ["\u22121.5", "-1.5"],
    ["1,500", "1500"],
    ["$5,368,709.12", "5368709.12"],
    ["1,5", "1"],
    ["150%", "150%"],
    ["3:2", "1.5"],
    ["6:4", "1.5"],
    ["1:2", "0.5"],
    ["0.30000000000000004", "0.3"],
    ["2nd", "2"],
    ["second place", "2"],
    ["the fifth", "5"],
    ["twenty-one", "21"],
    ["no idea", "no idea"],
    ["", null],
  ])("%j -> %j", (raw, key) => {
    expect(normalizeAnswer(raw, speed)).toBe(key);
  });

  it("counts 1.5, 3/2, 1 1/2 and $1.50 right, and near misses wrong", () => {
    for (const right of ["1.5", "3/2", "1 1/2", "$1.50", "1.50 m/s", "6/4"])
      expect(isCorrect(right, speed), right).toBe(true);
    for (const wrong of [
      "15",
      "0.15",
      "2/3",
      "1.55",
      "1.4999",
      "-1.5",
      "1,5",
      "150%",
      "3",
      "2",
      "1",
    ])
      expect(isCorrect(wrong, speed), wrong).toBe(false);
  });

  it("takes a number word only when no digits are written", () => {
    expect(isCorrect("second", race)).toBe(true);
    expect(isCorrect("Second place", race)).toBe(true);
    expect(isCorrect("first", race)).toBe(false);
    expect(isCorrect("3rd", race)).toBe(false);
    expect(normalizeAnswer("second, after 3 laps", race)).toBe("3");
  });
});

describe("normalizeAnswer: percentages", () => {
  it("reads 48%, 48 percent, 0.48 and a bare 48 as one answer when the question asks for a percentage", () => {
    for (const right of ["48%", "48 %", "48 percent", "0.48", "48", "48.0%", "12/25"]) {
      expect(normalizeAnswer(right, milk), right).toBe("48%");
      expect(isCorrect(right, milk), right).toBe(true);
    }
    for (const wrong of ["4.8%", "0.048", "480%", "68%", "0.68", "4.8"])
      expect(isCorrect(wrong, milk), wrong).toBe(false);
  });

  it("reads a GSM8K percentage answer given without a sign", () => {
    for (const right of ["60%", "60", "0.6", "60 percent"])
      expect(isCorrect(right, gsmPercent), right).toBe(true);
    for (const wrong of ["6%", "0.06", "600%"])
      expect(isCorrect(wrong, gsmPercent), wrong).toBe(false);
  });

  it("reads a bare number above 1 as percentage points, so 150% is 150 or 1.5 written as 150%", () => {
    for (const right of ["150%", "150", "150 percent", "3/2 = 150%"])
      expect(isCorrect(right, growth), right).toBe(true);
    for (const wrong of ["15%", "15", "0.15", "1.5%", "1.5", "3/2"])
      expect(isCorrect(wrong, growth), wrong).toBe(false);
    expect(normalizeAnswer("1.5", growth)).toBe("1.5%");
  });

  it("keeps a percentage apart from a plain number where the answer is not a percentage", () => {
    expect(question("What is 40 plus 40?", ["80"]).question).not.toMatch(/percent/);
    expect(isCorrect("$80", jacket)).toBe(true);
    expect(isCorrect("80", jacket)).toBe(true);
    expect(isCorrect("80%", jacket)).toBe(false);
    expect(isCorrect("0.8", jacket)).toBe(false);
    expect(sameAnswer("25%", "25", jacket)).toBe(false);
  });
});

describe("normalizeAnswer: multiple choice", () => {
  it.each([
    ["B", "B"],
    ["(b)", "B"],
    ["b", "B"],
    ["B.", "B"],
    ["B) Mercury", "B"],
    ["B: Mercury", "B"],
    ["Option B", "B"],
    ["mercury", "B"],
    ["Mercury.", "B"],
    ["The planet is Mercury", "B"],
    ["A", "A"],
    ["(C)", "C"],
    ["Venus", "A"],
    ["D", null],
    ["(E)", null],
    ["Mercury or Venus", null],
    ["Pluto", null],
  ])("%j -> %j", (raw, key) => {
    expect(normalizeAnswer(raw, planets)).toBe(key);
  });

  it("accepts the letter or the option's text, and compares numeric options as numbers", () => {
    expect(isCorrect("(B)", planets)).toBe(true);
    expect(isCorrect("Mercury", planets)).toBe(true);
    expect(isCorrect("Venus", planets)).toBe(false);
    expect(isCorrect("(A)", planets)).toBe(false);
    expect(normalizeAnswer("0.75 exactly", fractions)).toBe("B");
    expect(normalizeAnswer("1/2", fractions)).toBe("A");
    expect(isCorrect("B", fractions)).toBe(true);
    expect(isCorrect("0.75", fractions)).toBe(true);
    expect(isCorrect("A", fractions)).toBe(false);
    expect(isCorrect("3/5", fractions)).toBe(false);
  });
});

describe("normalizeAnswer: text answers", () => {
  it.each([
    ["Mary", "mary"],
    ["mary.", "mary"],
    ['"Mary"', "mary"],
    ["  MARY!  ", "mary"],
    ["Mary Ann", "mary ann"],
  ])("%j -> %j", (raw, key) => {
    expect(normalizeAnswer(raw, daughter)).toBe(key);
  });

  it("matches the whole answer, not a part of it", () => {
    expect(isCorrect("Mary.", daughter)).toBe(true);
    expect(isCorrect("Mary Ann", daughter)).toBe(false);
    expect(isCorrect("Maria", daughter)).toBe(false);
  });

  it("reads numbers in an open question only when the answer is just a number", () => {
    expect(normalizeAnswer("7", topic)).toBe("7");
    expect(normalizeAnswer("I rate it 7 of 10", topic)).toBe("i rate it 7 of 10");
    expect(isCorrect("7", topic)).toBe(false);
  });
});

describe("extractAnswer", () => {
  // [reply, read by default ("marked": only marked answers), read "lenient" (also the last number)]
  it.each([
    ["So the round trip takes 4 hours, and the answer is 1.5 m/s.", "1.5 m/s", "1.5 m/s"],
    ["Answer: 14\nWait, I forgot the borrowed pit.\nFinal answer: 15", "15", "15"],
    ["**Answer:** 42", "42", "42"],
    ["**Answer**: 42", "42", "42"],
    ["Answer - 42", "42", "42"],
    ["Answer:\n\n  42\n", "42", "42"],
    ["The other agent says the answer is 14. I computed 3 + 4 = 7 steps.", "14", "14"],
    ["We get \\boxed{42}, not 7.", "42", "42"],
    ["Answer: \\boxed{\\frac{3}{2}}", "\\boxed{\\frac{3}{2}}", "\\boxed{\\frac{3}{2}}"],
    ["First 2 * 3 = 6, then 6 + 1 = 7.", null, "7"],
    ["Answer: let me think again.\nIt comes to x = 5.", null, "5"],
    ["The final answer is $1,500.", "$1,500", "$1,500"],
    ["She makes 9 * 2 = 18.\n#### 18", "18", "18"],
    [
      '{"Whether there is a preference": "Yes", "Supported Side": "Negative", "Reason": "r", "debate_answer": "0.5"}',
      "0.5",
      "0.5",
    ],
    ['{"answer": 12}', "12", "12"],
    ["The answer isn't 5, it is 6.", null, "6"],
    ["The answer is: 1.5", "1.5", "1.5"],
    ["blah 42 blah", null, "42"],
    ["I cannot tell.", null, null],
  ])("%j -> %j (lenient: %j)", (text, marked, lenient) => {
    expect(extractAnswer(text, speed)).toBe(marked);
    expect(extractAnswer(text, speed, "marked")).toBe(marked);
    expect(extractAnswer(text, speed, "lenient")).toBe(lenient);
  });

  it("reads a structured (JSON) answer from its answer field alone, not from its reasoning", () => {
    const reply = JSON.stringify({
      reasoning: "The other agent says the answer is 14, but 3/2 is right.",
      answer: "1.5",
    });
    expect(extractAnswer(reply, speed)).toBe("1.5");
    expect(extractAnswer('```json\n{"reasoning": "4 hours", "answer": 1.5}\n```', speed)).toBe(
      "1.5",
    );
    // A field with no answer in it is no answer, whatever the reasoning says (leniently, the text
    // is read on).
    const empty = JSON.stringify({
      reasoning: "Maybe the answer is 14. Or not.",
      answer: "unsure",
    });
    expect(extractAnswer(empty, speed)).toBeNull();
    expect(extractAnswer(empty, speed, "lenient")).toBe("14");
  });

  it("reads multiple choice: explicit letter; leniently also the last (X) or the last option named", () => {
    expect(extractAnswer("I considered (A) Venus, but the answer is (B).", planets)).toBe("(B)");
    expect(
      extractAnswer("Answer: let me weigh them.\nVenus is hot; (B) is closest.", planets),
    ).toBeNull();
    expect(extractAnswer("Venus is close, but Mercury is closest.", planets)).toBeNull();
    expect(
      extractAnswer("(A) is too far and (C) is further still, so (B)", planets, "lenient"),
    ).toBe("(B)");
    expect(extractAnswer("Venus is close, but Mercury is closest.", planets, "lenient")).toBe(
      "Mercury",
    );
    expect(extractAnswer("Mars, then Venus.", planets, "lenient")).toBe("Venus");
    expect(extractAnswer("(E) is not an option.", planets, "lenient")).toBeNull();
    expect(
      extractAnswer(
        "Answer: let me weigh them.\nVenus is hot; (B) is closest.",
        planets,
        "lenient",
      ),
    ).toBe("(B)");
  });

  it("cuts a text answer at its clause", () => {
    expect(extractAnswer("The answer is Mary, because she is named first.", daughter)).toBe("Mary");
    expect(readAnswer("Answer: Mary.\nShe is the one named.", daughter)).toBe("mary");
  });

  it("readAnswer extracts and normalises", () => {
    expect(readAnswer("Half of 3 is 3/2.\nAnswer: 3/2", speed)).toBe("1.5");
    expect(readAnswer("The answer is 48 percent.", milk)).toBe("48%");
    expect(readAnswer("Nothing to say.", speed)).toBeNull();
  });
});

describe("answerKey and sameAnswer", () => {
  it("counts votes by key", () => {
    const votes = ["1.5", "3/2", "1 1/2", "15", "$1.50"].map((answer) => answerKey(answer, speed));
    expect(votes.filter((key) => key === answerKey("1.5", speed))).toHaveLength(4);
    expect(new Set(votes).size).toBe(2);
  });

  it("sameAnswer agrees only on equal keys and never on a missing answer", () => {
    expect(sameAnswer("3/2", "1.5", speed)).toBe(true);
    expect(sameAnswer("3/2", "2/3", speed)).toBe(false);
    expect(sameAnswer("15", "1.5", speed)).toBe(false);
    expect(sameAnswer("Mercury", "(b)", planets)).toBe(true);
    expect(sameAnswer(null, null, speed)).toBe(false);
    expect(sameAnswer("1.5", null, speed)).toBe(false);
  });

  it("is stable on already-normalised answers (events store the normalised form)", () => {
    const cases: [string, Question][] = [
      ["3/2", speed],
      ["-7", speed],
      ["1/3", speed],
      ["150%", speed],
      ["second", race],
      ["0.48", milk],
      ["150", growth],
      ["1.5", growth],
      ["4.8", milk],
      ["60", gsmPercent],
      ["Mercury", planets],
      ['"Mary"', daughter],
      ["7", topic],
    ];
    for (const [raw, q] of cases) {
      const once = normalizeAnswer(raw, q)!;
      expect(normalizeAnswer(once, q), raw).toBe(once);
      expect(answerKey(once, q), raw).toBe(once);
      expect(isCorrect(once, q), raw).toBe(isCorrect(raw, q));
    }
  });

  it("falls back to the lowercased text for an answer that names no option", () => {
    expect(answerKey("Pluto", planets)).toBe("pluto");
    expect(isCorrect(null, speed)).toBe(false);
  });
});
