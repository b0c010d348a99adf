/**
 * Offline debate configs run from the CLI on policy minds: accuracy matches what the solvers'
 * probabilities imply within sampling error over many seeded questions, and persuadability,
 * conformity, stubbornness and partisan persuasion move the metrics in the expected direction.
 */
import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stableView } from "../../../sim/core/events.js";
import {
  type DebateRun,
  debateConfig,
  interactionsOf,
  runDebate,
} from "../../../tests/support/debate-helpers.js";
import { tempDir } from "../../../tests/support/llm-helpers.js";

const tmp = tempDir("debate-policies");
afterAll(() => tmp.cleanup());

let runs = 0;
/**
 * Through the CLI by default; `inProcess` skips the CLI start-up for the comparisons that need
 * several runs.
 */
const run = (
  size: number,
  minds: Record<string, unknown>[],
  debate: Record<string, unknown>,
  opts: { inProcess?: boolean } = {},
): Promise<DebateRun> =>
  runDebate(
    tmp.path,
    `r${++runs}`,
    debateConfig({ cacheDir: join(tmp.path, "cache"), size, minds, debate }),
    opts,
  );

const arithmetic = (count: number) => ({
  questions: { generator: "arithmetic", count },
  questionsPerGeneration: count,
});
const within = (actual: number, expected: number, n: number) => {
  const se = Math.sqrt((expected * (1 - expected)) / n);
  expect(
    Math.abs(actual - expected),
    `${actual} vs ${expected} ± 3 x ${se.toFixed(4)}`,
  ).toBeLessThanOrEqual(3 * se);
};

describe("debate policy minds from the CLI", () => {
  it("solvers answering alone are right as often as their accuracy says (200 questions x 2 agents, p = 0.7)", async () => {
    const r = await run(2, [{ count: 2, policy: "solver", accuracy: 0.7 }], {
      setup: "single",
      ...arithmetic(200),
    });
    const answers = interactionsOf(r.events, "answer");
    expect(answers).toHaveLength(400);
    const correct = answers.filter((e) => e.data.correct === true).length;
    within(correct / 400, 0.7, 400);
    expect(r.metrics[0]!.accuracy).toBeCloseTo(correct / 400, 12);
    // Every answer went through the one reader: wrong ones are read as numbers too, never null.
    expect(answers.every((e) => typeof e.data.answer === "string")).toBe(true);
    expect(r.stdout).toMatch(/completed: 1 generation\(s\), 0 LLM call\(s\)/);
  }, 30_000);

  it("a solver that misses gives a near miss in the question's own form (GSM8K percentages included), never a non-answer", async () => {
    const r = await run(
      2,
      [{ count: 2, policy: "solver", accuracy: 0 }],
      { setup: "single", questions: { builtin: "gsm8k-sample" }, questionsPerGeneration: 20 },
      { inProcess: true },
    );
    const answers = interactionsOf(r.events, "answer");
    expect(answers).toHaveLength(40);
    expect(
      answers.every(
        (e) =>
          e.data.correct === false &&
          typeof e.data.answer === "string" &&
          /\d/.test(e.data.answer as string),
      ),
    ).toBe(true);
  }, 30_000);

  it("full persuadability turns a 3-agent debate into its majority vote; none leaves every answer as it was", async () => {
    const solvers = (persuadability: number) => [
      { count: 3, policy: "solver", accuracy: 0.7, persuadability, conformity: 0, stubbornness: 0 },
    ];
    const persuaded = (
      await run(3, solvers(1), { setup: "n-agent", rounds: 2, ...arithmetic(200) })
    ).metrics[0]!;
    const unmoved = (
      await run(
        3,
        solvers(0),
        { setup: "n-agent", rounds: 2, ...arithmetic(200) },
        { inProcess: true },
      )
    ).metrics[0]!;
    // Right or the trap: after one round everyone holds the initial majority, right with P(k >= 2
    // of 3) = 0.784.
    within(persuaded.accuracy as number, 0.7 ** 3 + 3 * 0.7 ** 2 * 0.3, 200);
    expect(persuaded.accuracy as number).toBeGreaterThan(persuaded.baselineAccuracy as number);
    expect(persuaded.agreement).toBe(1);
    expect(unmoved.accuracy).toBe(unmoved.baselineAccuracy);
    expect(unmoved).toMatchObject({ rightToWrong: 0, wrongToRight: 0, conformity: 0 });
  }, 30_000);

  it("conformity makes agents join the previous majority; stubbornness keeps them where they were", async () => {
    const five = (params: Record<string, unknown>) => [
      { count: 5, policy: "solver", accuracy: 0.5, persuadability: 0, ...params },
    ];
    const conforming = (
      await run(
        5,
        five({ conformity: 0.9 }),
        { setup: "n-agent", rounds: 1, ...arithmetic(100) },
        { inProcess: true },
      )
    ).metrics[0]!;
    const stubborn = (
      await run(
        5,
        five({ conformity: 0.9, persuadability: 1, stubbornness: 1 }),
        { setup: "n-agent", rounds: 1, ...arithmetic(100) },
        { inProcess: true },
      )
    ).metrics[0]!;
    expect(conforming.conformity as number).toBeGreaterThan(0.7);
    expect(conforming.agreement as number).toBeGreaterThan(0.9);
    expect(stubborn).toMatchObject({ conformity: 0, rightToWrong: 0, wrongToRight: 0 });
    expect(stubborn.accuracy).toBe(stubborn.baselineAccuracy);
  }, 30_000);

  it("a cap on the questions in flight changes nothing, not even the event order", async () => {
    const minds = [{ count: 4, policy: "solver", accuracy: 0.6, conformity: 0.3 }];
    const debate = {
      setup: "n-agent",
      rounds: 2,
      stopOnConsensus: true,
      summariser: { policy: "summariser" },
      ...arithmetic(30),
    };
    const one = await run(4, minds, debate, { inProcess: true });
    const seven = await run(4, minds, { ...debate, parallelQuestions: 7 }, { inProcess: true });
    const content = (r: DebateRun) =>
      r.events.filter((e) => e.type !== "run-started").map((e) => JSON.stringify(stableView(e)));
    expect(content(seven)).toEqual(content(one));
    expect(seven.metrics).toEqual(one.metrics);
    expect(seven.agents).toEqual(one.agents);
  }, 30_000);

  it("partisans drift toward the stances they hear, privately, and the same seed gives the same events", async () => {
    const minds = [
      { count: 1, policy: "partisan", attitude: 9, persuadability: 0.5 },
      { count: 1, policy: "partisan", attitude: 1, persuadability: 0.5 },
      { count: 1, policy: "partisan", attitude: 5, persuadability: 0 },
    ];
    const debate = {
      setup: "persona",
      rounds: 3,
      questions: { builtin: "topics" },
      questionsPerGeneration: 2,
    };
    const a = await run(3, minds, debate);
    const surveys = interactionsOf(a.events, "survey").filter(
      (e) => e.data.questionId === interactionsOf(a.events, "survey")[0]!.data.questionId,
    );
    const path = (id: string) =>
      surveys.filter((e) => e.from === id).map((e) => e.data.attitude as number);
    expect(path("g1-a1")[0]).toBe(9);
    expect(path("g1-a1").at(-1)!).toBeLessThan(9);
    expect(path("g1-a2")[0]).toBe(1);
    expect(path("g1-a2").at(-1)!).toBeGreaterThan(1);
    expect(path("g1-a3")).toEqual([5, 5, 5, 5]);
    expect(a.metrics[0]!.attitudeMean).not.toBeNull();

    const b = await run(3, minds, debate, { inProcess: true });
    expect(b.events.map(stableView)).toEqual(a.events.map(stableView));
  }, 30_000);
});
