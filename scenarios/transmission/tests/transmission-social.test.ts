import { describe, expect, it } from "vitest";
import { transmissionConfigSchema } from "../config.js";
import { chooseInputs, inNeighbours, turnoverSlots, type Candidate } from "../social-learning.js";
import { buildSocialGraph } from "../../../sim/core/graph/index.js";
import { Rng } from "../../../sim/core/rng.js";

const ids = ["a", "b", "c", "d", "e", "f"];
const slotIndex = new Map(ids.map((id, i) => [id, i]));
// Star-ish directed graph into "a", with weights; "b" also feeds "c", "d" and "e" (so its degree is
// highest).
const graph = buildSocialGraph(
  {
    type: "adjacency",
    matrix: [
      [0, 0, 0, 0, 0, 0],
      [1, 0, 1, 1, 1, 0],
      [2, 0, 0, 0, 0, 0],
      [5, 0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
      [3, 0, 0, 0, 0, 0],
    ],
  },
  ids,
  new Rng(1),
);
const TEXTS: Record<string, string> = {
  b: "the red fox ran home",
  c: "the red fox ran away home",
  d: "a blue whale sang alone",
  e: "the red fox slept at home",
  f: "green hills under rain",
};
const candidates = (): Candidate[] =>
  inNeighbours(graph, "a").map((slot) => ({
    slot,
    authorId: `${slot}-author`,
    text: TEXTS[slot]!,
  }));
const choose = (
  social: Record<string, unknown>,
  extra: Partial<Parameters<typeof chooseInputs>[1]> = {},
  seed = 1,
) =>
  chooseInputs(candidates(), {
    graph,
    slot: "a",
    slotIndex,
    influence: {},
    rng: new Rng(seed),
    social: transmissionConfigSchema.parse({ socialLearning: social }).socialLearning,
    inputOrder: "slot",
    stopWords: "english",
    ...extra,
  }).map((c) => c.slot);

describe("social learning", () => {
  it("passes every in-neighbour by default, in slot order", () => {
    expect(choose({})).toEqual(["b", "c", "d", "e", "f"]);
  });

  it("sample k draws k distinct in-neighbours, differently under different streams", () => {
    const draws = [1, 2, 3, 4, 5, 6].map((seed) => choose({ sample: 2 }, {}, seed));
    for (const d of draws) {
      expect(d).toHaveLength(2);
      expect(new Set(d).size).toBe(2);
      expect(d).toEqual([...d].sort());
    }
    expect(new Set(draws.map((d) => d.join())).size).toBeGreaterThan(1);
  });

  it("prestige top by edge weight keeps the k heaviest; by degree prefers the best connected", () => {
    expect(choose({ prestige: { by: "weight", k: 2 } })).toEqual(["d", "f"]);
    expect(choose({ prestige: { by: "degree", k: 1 } })).toEqual(["b"]);
    expect(choose({ prestige: { by: "influence", k: 1 } }, { influence: { e: 4, c: 1 } })).toEqual([
      "e",
    ]);
  });

  it("prestige weighted draws favour heavy edges", () => {
    const counts: Record<string, number> = {};
    for (let seed = 0; seed < 400; seed++)
      for (const s of choose({ prestige: { by: "weight", select: "weighted", k: 1 } }, {}, seed))
        counts[s] = (counts[s] ?? 0) + 1;
    // Weights b 1, c 2, d 5, e 1, f 3: d should be drawn about 5/12 of the time, b about 1/12.
    expect(counts.d!).toBeGreaterThan(120);
    expect(counts.b ?? 0).toBeLessThan(counts.d! / 2);
  });

  it("conformity passes only the text most similar to the others", () => {
    expect(choose({ conformity: true })).toEqual(["b"]);
  });

  it("inputOrder weight sorts heaviest first; graph keeps the graph's order", () => {
    expect(choose({}, { inputOrder: "weight" })).toEqual(["d", "f", "c", "b", "e"]);
    expect(choose({}, { inputOrder: "graph" })).toEqual(inNeighbours(graph, "a"));
  });

  it("turnover takes round(fraction * n) slots, kept in population order", () => {
    const slots = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const [fraction, count] of [
      [0, 0],
      [0.25, 3],
      [0.3, 3],
      [1, 10],
    ] as const) {
      const out = turnoverSlots(slots, fraction, new Rng(3));
      expect(out).toHaveLength(count);
      expect(out).toEqual(slots.filter((s) => out.includes(s)));
    }
  });
});
