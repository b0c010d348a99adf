import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../../tests/support/llm-helpers.js";
import { DEFAULT_TEXT_METRICS_OPTIONS, generationTextMetrics } from "../metrics/index.js";
import { roundHalfEven } from "../../../sim/toolkit/stats.js";
import { nltkPolarityScores } from "../metrics/sentiment-nltk.js";
import { positivity } from "../metrics/sentiment.js";

/**
 * `transmission.metrics.reference: telephone` positivity against NLTK 3.8.1's VADER itself, run
 * from its release source with NLTK's own lexicon (tests/fixtures/telephone/nltk-vader.json and its
 * generator script).
 */
interface VaderFixture {
  lexicon: { sha256: string; bytes: number; entries: number };
  cases: { text: string; neg: number; neu: number; pos: number; compound: number }[];
}
const FIXTURE = JSON.parse(
  readFileSync(join(ROOT, "tests/fixtures/telephone/nltk-vader.json"), "utf8"),
) as VaderFixture;
/** Seed stories on which the vader-sentiment port and NLTK disagree (and one where they agree). */
const DIFFERING = [19, 23, 25, 28, 32, 10].map((i) => FIXTURE.cases[i]!.text);
const LEXICON = readFileSync(
  join(ROOT, "scenarios/transmission/metrics/data/nltk-vader_lexicon.txt"),
);

describe("NLTK 3.8.1's VADER (reference: telephone)", () => {
  it("ships NLTK's lexicon byte for byte", () => {
    expect(createHash("sha256").update(LEXICON).digest("hex")).toBe(FIXTURE.lexicon.sha256);
    expect(LEXICON.length).toBe(FIXTURE.lexicon.bytes);
    const words = new Set(
      LEXICON.toString("utf8")
        .split("\n")
        .map((line) => line.trim().split("\t")[0]),
    );
    expect(words.size).toBe(FIXTURE.lexicon.entries);
  });

  it.each(FIXTURE.cases.map((c, i) => [i, c.text.slice(0, 40), c] as const))(
    "case %i: %s",
    (_, __, c) => {
      const ours = nltkPolarityScores(c.text);
      expect(ours.compound).toBeCloseTo(c.compound, 4);
      expect(ours.pos).toBeCloseTo(c.pos, 4);
      expect(ours.neg).toBeCloseTo(c.neg, 4);
      expect(ours.neu).toBeCloseTo(c.neu, 4);
    },
  );

  it("rounds as Python's round() does: exact ties to the even digit", () => {
    expect(roundHalfEven(0.0625, 3)).toBe(0.062);
    expect(roundHalfEven(0.1875, 3)).toBe(0.188);
    expect(roundHalfEven(-0.0625, 3)).toBe(-0.062);
    expect(roundHalfEven(0.125, 2)).toBe(0.12);
    // 0.15 is stored just below 0.15: not a tie.
    expect(roundHalfEven(0.15, 1)).toBe(0.1);
    expect(roundHalfEven(0.34121, 4)).toBe(0.3412);
  });

  it("is the telephone reference's positivity; the default keeps the vader-sentiment port", async () => {
    const texts = DIFFERING.map((text, i) => ({ agentId: `a${i}`, text }));
    const expected = DIFFERING.map((t) => FIXTURE.cases.find((c) => c.text === t)!.compound);
    const telephone = await generationTextMetrics({
      generation: 1,
      texts,
      history: [],
      options: { ...DEFAULT_TEXT_METRICS_OPTIONS, reference: "telephone" },
    });
    expect(telephone.positivity).toBeCloseTo(expected.reduce((a, b) => a + b) / 6, 12);
    const notGood = FIXTURE.cases.find((c) => c.text === "This is NOT good.")!;
    expect(notGood.compound).toBe(-0.3412);
    const agora = await generationTextMetrics({
      generation: 1,
      texts: [{ agentId: "a", text: notGood.text }],
      history: [],
      options: DEFAULT_TEXT_METRICS_OPTIONS,
    });
    expect(agora.positivity).toBe(positivity(notGood.text));
    expect(agora.positivity).toBeCloseTo(0.4404, 4);
  });

  it("uses it for the positivity attractor under the telephone reference", async () => {
    const stories = DIFFERING;
    const g1 = stories.map((text, chain) => ({ agentId: `a${chain}`, chain, text }));
    const g2 = stories.map((_, chain) => ({
      agentId: `b${chain}`,
      chain,
      text: stories[(chain + 1) % stories.length]!,
    }));
    const m = await generationTextMetrics({
      generation: 2,
      texts: g2,
      history: [g1],
      options: { ...DEFAULT_TEXT_METRICS_OPTIONS, reference: "telephone", bootstrapSamples: 0 },
    });
    const x = stories.map((t) => nltkPolarityScores(t).compound);
    const y = x.map((_, c) => x[(c + 1) % x.length]!);
    const mx = x.reduce((a, b) => a + b) / x.length;
    const my = y.reduce((a, b) => a + b) / y.length;
    const slope =
      x.reduce((s, xi, i) => s + (xi - mx) * (y[i]! - my), 0) /
      x.reduce((s, xi) => s + (xi - mx) ** 2, 0);
    expect(m.attractorPositivitySlope).toBeCloseTo(slope, 9);
  });
});
