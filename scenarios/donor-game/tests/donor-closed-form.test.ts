import { afterAll, describe, expect, it } from "vitest";
import { close, runDonor, scratch } from "../../../tests/support/donor-helpers.js";

/*
 * A population of constant-fraction policies has a closed form. All agents of a half are
 * symmetric (every round is a perfect matching between the halves), so the state is the pair
 * (x_A, x_B) of per-agent holdings, and a round multiplies it by a 2x2 matrix:
 *   A donates:  x_A' = (1-f) x_A,         x_B' = x_B + m f x_A
 *   B donates:  x_A' = x_A + m f x_B,     x_B' = (1-f) x_B
 * Which half donates in each round:
 *   code schedule, n agents: rounds 1..n/2 alternate A,B,A,B,...; rounds n/2+1..n repeat them with
 *     the donor half swapped; longer games cycle through those n rounds.
 *   alternating: A,B,A,B,... throughout.
 * Game 2 swaps the donor half of every round.
 * This is derived from the rules, not from the engine's code.
 */

type Half = "A" | "B";
type Vec = [number, number];
type Mat = [[number, number], [number, number]];

const flip = (h: Half): Half => (h === "A" ? "B" : "A");

function donorHalves(schedule: "code" | "alternating", n: number, rounds: number): Half[] {
  const alternate = (len: number): Half[] =>
    Array.from({ length: len }, (_, i) => (i % 2 === 0 ? "A" : "B"));
  if (schedule === "alternating") return alternate(rounds);
  const first = alternate(n / 2);
  const cycle = [...first, ...first.map(flip)];
  return Array.from({ length: rounds }, (_, r) => cycle[r % cycle.length]!);
}

const roundMatrix = (donor: Half, f: number, m: number): Mat =>
  donor === "A"
    ? [
        [1 - f, 0],
        [m * f, 1],
      ]
    : [
        [1, m * f],
        [0, 1 - f],
      ];

const matMul = (p: Mat, q: Mat): Mat => [
  [p[0][0] * q[0][0] + p[0][1] * q[1][0], p[0][0] * q[0][1] + p[0][1] * q[1][1]],
  [p[1][0] * q[0][0] + p[1][1] * q[1][0], p[1][0] * q[0][1] + p[1][1] * q[1][1]],
];
const apply = (p: Mat, x: Vec): Vec => [
  p[0][0] * x[0] + p[0][1] * x[1],
  p[1][0] * x[0] + p[1][1] * x[1],
];
const identity: Mat = [
  [1, 0],
  [0, 1],
];

/** One game: final per-agent holdings (M_R ... M_1 x0) and the per-round donation fractions. */
function game(
  halves: readonly Half[],
  f: number,
  m: number,
  endowment: number,
): { final: Vec; fractions: number[] } {
  const x0: Vec = [endowment, endowment];
  // The product of the round matrices, latest on the left.
  const product = halves.reduce<Mat>((acc, h) => matMul(roundMatrix(h, f, m), acc), identity);
  // The donor's fraction per round: f, except that a donor holding nothing records 0.
  const fractions: number[] = [];
  let x = x0;
  for (const h of halves) {
    const holdings = h === "A" ? x[0] : x[1];
    fractions.push(holdings > 0 ? f : 0);
    x = apply(roundMatrix(h, f, m), x);
  }
  return { final: apply(product, x0), fractions };
}

function expected(
  schedule: "code" | "alternating",
  n: number,
  rounds: number,
  f: number,
  m: number,
  endowment = 10,
) {
  const halves = donorHalves(schedule, n, rounds);
  const g1 = game(halves, f, m, endowment);
  const g2 = game(halves.map(flip), f, m, endowment);
  const avg = (v: Vec) => (v[0] + v[1]) / 2;
  const fractions = [...g1.fractions, ...g2.fractions];
  return {
    game1AvgResources: avg(g1.final),
    game2AvgResources: avg(g2.final),
    avgFinalResources: (avg(g1.final) + avg(g2.final)) / 2,
    avgDonationFraction: fractions.reduce((a, b) => a + b, 0) / fractions.length,
  };
}

describe("the closed-form model itself (hand-computed)", () => {
  it("matches hand-worked spot values", () => {
    // f=1, m=2, 12 agents, code schedule A,B,A,B,A,B,B,A,B,A,B,A from (10,10):
    // (0,30) (60,0) (0,120) (240,0) (0,480) (960,0) [B holds 0] (0,1920) (3840,0) (0,7680)
    // (15360,0) (0,30720)
    // -> average 15360 per game; round 7's donors hold nothing, so the mean fraction is 11/12.
    expect(expected("code", 12, 12, 1, 2)).toEqual({
      game1AvgResources: 15360,
      game2AvgResources: 15360,
      avgFinalResources: 15360,
      avgDonationFraction: 11 / 12,
    });
    // Alternating: every round doubles the pot after round 1: 30 * 2^11 = 61440 held by one half ->
    // 30720.
    expect(expected("alternating", 12, 12, 1, 2).avgFinalResources).toBe(30720);
    // 4 agents, code: A,B,B,A cycling; every second round the donor half is empty: 30*2^6 = 1920 ->
    // 960, fraction 7/12.
    expect(expected("code", 4, 12, 1, 2)).toEqual({
      game1AvgResources: 960,
      game2AvgResources: 960,
      avgFinalResources: 960,
      avgDonationFraction: 7 / 12,
    });
    // f=0: nothing moves.
    expect(expected("code", 12, 20, 0, 3).avgFinalResources).toBe(10);
    // m=1 conserves the total whatever f.
    expect(expected("alternating", 4, 20, 0.9, 1).avgFinalResources).toBeCloseTo(10, 10);
  });
});

describe("constant-fraction populations through the engine match the closed form", () => {
  const dir = scratch();
  afterAll(dir.cleanup);

  const cases: [
    schedule: "code" | "alternating",
    n: number,
    rounds: number,
    m: number,
    f: number,
  ][] = [];
  for (const schedule of ["code", "alternating"] as const)
    for (const n of [4, 12])
      for (const rounds of [12, 20])
        for (const m of [1, 1.5, 2, 3])
          for (const f of [0, 0.1, 0.5, 0.9, 1]) cases.push([schedule, n, rounds, m, f]);

  it.each(cases)(
    "schedule %s, %i agents, %i rounds, multiplier %d, fraction %d",
    async (schedule, n, rounds, m, f) => {
      const run = await runDonor(dir.root, {
        minds: [{ count: n, policy: "constant", fraction: f }],
        donorGame: { schedule, rounds, multiplier: m },
      });
      const want = expected(schedule, n, rounds, f, m);
      const got = run.metrics[0]!;
      for (const key of [
        "avgFinalResources",
        "game1AvgResources",
        "game2AvgResources",
        "avgDonationFraction",
      ] as const) {
        const value = got[key] as number;
        if (!close(value, want[key]))
          expect.fail(`${key}: engine ${value}, closed form ${want[key]}`);
      }
      // Every agent of a half is alike: each final holding is x_A or x_B of the model.
      for (const row of run.agents) expect(row.score).toBe(run.agents[0]!.score);
      expect(run.metrics[0]!.giniFinalResources as number).toBeCloseTo(0, 12);
    },
  );

  it("with all scores equal, exactly half survive and the next generation plays the same game", async () => {
    const run = await runDonor(dir.root, {
      generations: 2,
      minds: [{ count: 12, policy: "constant", fraction: 0.5 }],
      donorGame: { multiplier: 2 },
    });
    const gen1 = run.agents.filter((r) => r.generation === 1);
    expect(gen1).toHaveLength(12);
    expect(new Set(gen1.map((r) => r.score)).size).toBe(1);
    expect(gen1.filter((r) => r.survived === true)).toHaveLength(6);
    expect(gen1.filter((r) => r.survived === false)).toHaveLength(6);
    const want = expected("code", 12, 12, 0.5, 2);
    for (const metrics of run.metrics) {
      expect(close(metrics.avgFinalResources as number, want.avgFinalResources)).toBe(true);
      expect(metrics.avgDonationFraction).toBeCloseTo(0.5, 9);
    }
    expect(run.metrics.map((m) => m.generation)).toEqual([1, 2]);
  });
});
