import { describe, expect, it } from "vitest";
import { parseOrThrow } from "../sim/core/config.js";
import { LIMITS } from "../sim/core/limits.js";
import { Rng } from "../sim/core/rng.js";
import {
  select,
  selectionRule,
  updateRuleSchema,
  type SelectionOutcome,
  type SelectionRule,
} from "../sim/toolkit/selection.js";

// The graph rules (death-birth, birth-death, imitation) against their formulas: one update's exact
// distribution over (removed, parent) outcomes, enumerated here from the formulas, is compared
// with the frequencies of DRAWS seeded draws, each within 4 standard errors
// (sqrt(p (1 - p) / DRAWS)); an outcome of probability 0 must never occur.

const DRAWS = 20_000;

type Kind = "death-birth" | "birth-death" | "imitation";
type Fitness = "linear" | "exponential";
type Adjacency = Record<string, string[]>;
type Scores = Record<string, number>;

const undirected = (nodes: string[], edges: [string, string][]): Adjacency => {
  const adj: Adjacency = Object.fromEntries(nodes.map((id) => [id, []]));
  for (const [a, b] of edges) {
    adj[a]!.push(b);
    adj[b]!.push(a);
  }
  return adj;
};
const complete = (nodes: string[]): Adjacency =>
  Object.fromEntries(nodes.map((id) => [id, nodes.filter((other) => other !== id)]));

const STAR = undirected(
  ["c", "x", "y", "z"],
  [
    ["c", "x"],
    ["c", "y"],
    ["c", "z"],
  ],
);
const PATH = undirected(
  ["a", "b", "c", "d"],
  [
    ["a", "b"],
    ["b", "c"],
    ["c", "d"],
  ],
);
const TRIANGLE_PENDANT = undirected(
  ["a", "b", "c", "d"],
  [
    ["a", "b"],
    ["b", "c"],
    ["a", "c"],
    ["c", "d"],
  ],
);
// "e" has no neighbour: every event that draws it is stranded.
const WITH_ISOLATED = undirected(
  ["a", "b", "c", "e"],
  [
    ["a", "b"],
    ["b", "c"],
  ],
);
const FOUR = complete(["a", "b", "c", "d"]);

const rule = (kind: Kind, intensity: number, fitness: Fitness, updates = 1): SelectionRule => ({
  kind,
  intensity,
  updates,
  fitness,
});

/** Outcome keys: "victim<-parent", "stranded", or "none" (imitation declined). */
function exact(
  kind: Kind,
  adj: Adjacency,
  scores: Scores,
  w: number,
  fitness: Fitness,
): Map<string, number> {
  const ids = Object.keys(adj);
  const n = ids.length;
  const f = (id: string) =>
    fitness === "linear" ? 1 - w + w * scores[id]! : Math.exp(w * scores[id]!);
  const sum = (list: string[]) => list.reduce((total, id) => total + f(id), 0);
  const out = new Map<string, number>();
  const add = (key: string, p: number) => out.set(key, (out.get(key) ?? 0) + p);
  for (const id of ids) {
    const near = adj[id]!;
    if (kind === "death-birth") {
      // Victim `id` with probability 1/n; parent j in proportion to f_j over the neighbours
      // (uniform when every f_j is 0).
      if (near.length === 0) add("stranded", 1 / n);
      const total = sum(near);
      for (const j of near)
        add(`${id}<-${j}`, (1 / n) * (total === 0 ? 1 / near.length : f(j) / total));
    } else if (kind === "birth-death") {
      // Parent `id` with probability f_id / sum f; victim a uniform neighbour.
      const p = f(id) / sum(ids);
      if (near.length === 0) add("stranded", p);
      for (const j of near) add(`${j}<-${id}`, p / near.length);
    } else {
      // Focal `id` with probability 1/n, model j uniform; the focal copies with the Fermi
      // probability.
      if (near.length === 0) add("stranded", 1 / n);
      for (const j of near) {
        const copy = 1 / (1 + Math.exp(-w * (scores[j]! - scores[id]!)));
        add(`${id}<-${j}`, copy / n / near.length);
        add("none", (1 - copy) / n / near.length);
      }
    }
  }
  return out;
}

/** One update's outcome key; "overfull" would be more than one event's worth. */
function keyOf(out: SelectionOutcome): string {
  if (out.removed.length + out.stranded > 1) return "overfull";
  const [victim] = out.removed;
  if (victim !== undefined) return `${victim}<-${out.parentsOf.get(victim)![0]}`;
  return out.stranded === 1 ? "stranded" : "none";
}

function observed(
  selection: SelectionRule,
  adj: Adjacency,
  scores: Scores,
  wellMixed: boolean,
): Map<string, number> {
  const counts = new Map<string, number>();
  // One seeded stream for all draws: each selection takes fresh draws from it.
  const rng = new Rng(12);
  for (let draw = 0; draw < DRAWS; draw++) {
    const key = keyOf(
      select(selection, {
        order: Object.keys(adj),
        score: (id) => scores[id]!,
        rng,
        neighbours: wellMixed ? undefined : (id) => adj[id]!,
      }),
    );
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Outcomes whose frequency is off its exact probability by more than 4 standard errors. */
function misfits(expected: Map<string, number>, counts: Map<string, number>): string[] {
  const off: string[] = [];
  for (const key of new Set([...expected.keys(), ...counts.keys()])) {
    const p = expected.get(key) ?? 0;
    const freq = (counts.get(key) ?? 0) / DRAWS;
    const tolerance = 4 * Math.sqrt((p * (1 - p)) / DRAWS);
    if (Math.abs(freq - p) > tolerance)
      off.push(`${key}: expected ${p.toFixed(4)} ± ${tolerance.toFixed(4)}, drew ${freq}`);
  }
  return off;
}

const PATH_SCORES = { a: 2, b: 0, c: 1, d: 3 };
const TRI_SCORES = { a: 0, b: 1, c: 2, d: 0.5 };
const STAR_SCORES = { c: 0, x: 1, y: 2, z: 3 };
const ISOLATED_SCORES = { a: 1, b: 0, c: 2, e: 3 };

const FITNESS_CASES = [
  { graph: "a star", adj: STAR, scores: STAR_SCORES, w: 0.5, fitness: "linear" },
  { graph: "a star", adj: STAR, scores: STAR_SCORES, w: 1, fitness: "exponential" },
  { graph: "a path", adj: PATH, scores: PATH_SCORES, w: 0.5, fitness: "linear" },
  { graph: "a path", adj: PATH, scores: PATH_SCORES, w: 1, fitness: "exponential" },
  {
    graph: "a triangle plus pendant",
    adj: TRIANGLE_PENDANT,
    scores: TRI_SCORES,
    w: 0.9,
    fitness: "linear",
  },
  {
    graph: "a triangle plus pendant",
    adj: TRIANGLE_PENDANT,
    scores: TRI_SCORES,
    w: 0.5,
    fitness: "exponential",
  },
  {
    graph: "a path and an isolated node",
    adj: WITH_ISOLATED,
    scores: ISOLATED_SCORES,
    w: 0.5,
    fitness: "linear",
  },
  {
    graph: "a complete graph, listed",
    adj: FOUR,
    scores: PATH_SCORES,
    w: 1,
    fitness: "exponential",
  },
  // Fitness 0 for every score 0: among neighbours that all have it, the draw is uniform.
  {
    graph: "a path, zero fitness",
    adj: PATH,
    scores: { a: 0, b: 0, c: 1, d: 0 },
    w: 1,
    fitness: "linear",
  },
] as const;

describe.each(["death-birth", "birth-death"] as const)(
  "%s selection: one update's outcomes follow the formula",
  (kind) => {
    it.each(FITNESS_CASES)("on $graph, w = $w, $fitness fitness", ({ adj, scores, w, fitness }) => {
      const expected = exact(kind, adj, scores, w, fitness);
      expect([...expected.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(misfits(expected, observed(rule(kind, w, fitness), adj, scores, false))).toEqual([]);
    });

    it.each([
      { w: 0.5, fitness: "linear" as const },
      { w: 1, fitness: "exponential" as const },
    ])(
      "well-mixed (no neighbours given): as the complete graph, w = $w, $fitness fitness",
      ({ w, fitness }) => {
        const expected = exact(kind, FOUR, PATH_SCORES, w, fitness);
        expect(
          misfits(expected, observed(rule(kind, w, fitness), FOUR, PATH_SCORES, true)),
        ).toEqual([]);
      },
    );
  },
);

describe("exponential fitness of scores far apart (exp(w s) itself overflows)", () => {
  // exp(1000) is Infinity and exp(-1000) 0 in doubles; the ratios exp(w (s_i - s_j)) are what
  // count. Victim "a" leaves "b" and "c", whose weights relative to "a" have underflowed.
  const scores = { a: 1000, b: 0, c: 1 };
  const e = Math.E;
  const expected = new Map([
    ["a<-c", (1 / 3) * (e / (1 + e))],
    ["a<-b", (1 / 3) * (1 / (1 + e))],
    ["b<-a", 1 / 3],
    ["c<-a", 1 / 3],
  ]);
  it.each([
    { graph: "well-mixed", wellMixed: true },
    { graph: "a complete graph, listed", wellMixed: false },
  ])("death-birth, $graph", ({ wellMixed }) => {
    const adj = complete(["a", "b", "c"]);
    const counts = observed(rule("death-birth", 1, "exponential"), adj, scores, wellMixed);
    expect(misfits(expected, counts)).toEqual([]);
  });
});

describe("imitation (Fermi) selection: one update's outcomes follow the formula", () => {
  it.each([
    { graph: "a star", adj: STAR, scores: STAR_SCORES, w: 1 },
    { graph: "a path", adj: PATH, scores: PATH_SCORES, w: 2 },
    { graph: "a triangle plus pendant", adj: TRIANGLE_PENDANT, scores: TRI_SCORES, w: 0.5 },
    { graph: "a path and an isolated node", adj: WITH_ISOLATED, scores: ISOLATED_SCORES, w: 1 },
    { graph: "a path at intensity 0 (a coin toss)", adj: PATH, scores: PATH_SCORES, w: 0 },
  ])("on $graph, w = $w", ({ adj, scores, w }) => {
    const expected = exact("imitation", adj, scores, w, "linear");
    expect([...expected.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(misfits(expected, observed(rule("imitation", w, "linear"), adj, scores, false))).toEqual(
      [],
    );
  });

  it("well-mixed (no neighbours given): as the complete graph", () => {
    const expected = exact("imitation", FOUR, PATH_SCORES, 1, "linear");
    expect(
      misfits(expected, observed(rule("imitation", 1, "linear"), FOUR, PATH_SCORES, true)),
    ).toEqual([]);
  });

  it("reads scores, not fitness: a linear fitness below 0 is no error", () => {
    const out = select(rule("imitation", 0.9, "linear", 20), {
      order: ["a", "b"],
      score: (id) => (id === "a" ? -10 : 10),
      rng: new Rng(3),
      neighbours: (id) => (id === "a" ? ["b"] : ["a"]),
    });
    // "a" copies "b" almost surely once drawn as focal; "b" copies "a" with probability 1.5e-8.
    expect(out.removed).toEqual(["a"]);
    expect(out.parentsOf.get("a")).toEqual(["b"]);
  });
});

describe("graph selection rules", () => {
  const ring = (n: number) => {
    const ids = Array.from({ length: n }, (_, i) => `r${i}`);
    const at = new Map(ids.map((id, i) => [id, i]));
    return {
      ids,
      neighbours: (id: string) => {
        const i = at.get(id)!;
        return [ids[(i + 1) % n]!, ids[(i + n - 1) % n]!];
      },
      score: (id: string) => (at.get(id)! * 7) % 5,
    };
  };

  it.each(["death-birth", "birth-death", "imitation"] as const)(
    "%s: never draws an agent replaced earlier in the generation",
    (kind) => {
      // Two linked agents, two updates: once one is replaced, the other has no neighbour left.
      const seen = new Set<string>();
      for (let seed = 0; seed < 200; seed++) {
        const out = select(rule(kind, 1, "exponential", 2), {
          order: ["a", "b"],
          score: (id) => (id === "a" ? 1 : 0),
          rng: new Rng(seed),
          neighbours: (id) => (id === "a" ? ["b"] : ["a"]),
        });
        expect(out.removed.length).toBeLessThanOrEqual(1);
        seen.add(`${out.removed.length} removed, ${out.stranded} stranded`);
      }
      // Imitation may decline the first update, then the second finds a neighbour.
      expect([...seen].sort()).toEqual(
        kind === "imitation"
          ? ["0 removed, 0 stranded", "1 removed, 0 stranded", "1 removed, 1 stranded"]
          : ["1 removed, 1 stranded"],
      );
    },
  );

  it.each([
    ["death-birth" as const, "linear" as const],
    ["birth-death" as const, "exponential" as const],
  ])("%s well-mixed with as many updates as agents replaces all but one", (kind, fitness) => {
    const { ids, score } = ring(10_000);
    const out = select(rule(kind, 0.2, fitness, ids.length), {
      order: ids,
      score,
      rng: new Rng(11),
    });
    expect(out.removed).toHaveLength(ids.length - 1);
    expect(out.stranded).toBe(1);
    expect(out.survivors).toHaveLength(1);
    expect(new Set(out.removed).size).toBe(ids.length - 1);
    // The last replacement can only have come from the last agent standing.
    const parents = new Set([...out.parentsOf.values()].map((p) => p[0]!));
    expect(parents.has(out.survivors[0]!)).toBe(true);
  });

  it.each(["death-birth", "birth-death", "imitation"] as const)(
    "%s on a ring: outcome lists are consistent and in ranking order",
    (kind) => {
      const { ids, neighbours, score } = ring(30);
      const out = select(rule(kind, 0.3, "exponential", 30), {
        order: ids,
        score,
        rng: new Rng(5),
        neighbours,
      });
      const truncationRanking = select(
        { kind: "truncation", survivorFraction: 0.5 },
        { order: ids, score, rng: new Rng(5) },
      ).ranking;
      expect(out.ranking).toEqual(truncationRanking);
      expect(out.survivors).toEqual(truncationRanking.filter((id) => !out.removed.includes(id)));
      expect(out.removed).toEqual(truncationRanking.filter((id) => out.removed.includes(id)));
      expect(out.removed.length).toBeGreaterThan(0);
      if (kind === "imitation") expect(out.removed.length + out.stranded).toBeLessThanOrEqual(30);
      else expect(out.removed.length + out.stranded).toBe(30);
      expect([...out.parentsOf.keys()]).toEqual(out.removed);
      for (const [victim, parents] of out.parentsOf) {
        expect(parents).toHaveLength(1);
        expect(neighbours(victim)).toContain(parents[0]);
      }
    },
  );

  it("counts every event that draws an isolated agent as stranded, and keeps it", () => {
    for (const kind of ["death-birth", "birth-death", "imitation"] as const) {
      const out = select(rule(kind, 0.1, "linear", 5), {
        order: ["solo"],
        score: () => 1,
        rng: new Rng(1),
        neighbours: () => [],
      });
      expect(out).toEqual({
        ranking: ["solo"],
        survivors: ["solo"],
        removed: [],
        parentsOf: new Map(),
        stranded: 5,
      });
    }
  });

  it("gives the same outcome for the same seed, and other outcomes for other seeds", () => {
    const { ids, neighbours, score } = ring(40);
    const run = (seed: number) =>
      select(rule("death-birth", 0.5, "linear", 20), {
        order: ids,
        score,
        rng: new Rng(seed),
        neighbours,
      });
    expect(run(9)).toEqual(run(9));
    const removedSets = new Set([1, 2, 3, 4, 5].map((seed) => run(seed).removed.join()));
    expect(removedSets.size).toBeGreaterThan(1);
  });

  it.each(["death-birth", "birth-death"] as const)(
    "%s: a negative linear fitness is an error naming the agent and suggesting exponential",
    (kind) => {
      const input = {
        order: ["a", "b"],
        score: (id: string) => (id === "a" ? 1 : -2),
        rng: new Rng(1),
      };
      expect(() => select(rule(kind, 0.5, "linear"), input)).toThrow(
        `${kind} selection: agent "b" with score -2 has linear fitness 1 - w + w*s = -0.5 < 0 at intensity 0.5; use fitness: exponential`,
      );
      expect(() => select(rule(kind, 0.5, "exponential"), input)).not.toThrow();
    },
  );

  it("rejects a neighbour that is not in the population", () => {
    expect(() =>
      select(rule("death-birth", 0.1, "linear"), {
        order: ["a"],
        score: () => 0,
        rng: new Rng(1),
        neighbours: () => ["ghost"],
      }),
    ).toThrow('death-birth selection: neighbour "ghost" of "a" is no agent');
  });
});

describe("the update: config key", () => {
  const parse = (value: unknown) => parseOrThrow(updateRuleSchema, value, "donorGame.update");

  it("defaults to truncation, and fills a graph rule's parameters", () => {
    expect(parse(undefined)).toEqual({ rule: "truncation" });
    expect(parse({ rule: "death-birth" })).toEqual({
      rule: "death-birth",
      intensity: 0.1,
      updates: 1,
      fitness: "linear",
    });
    expect(
      parse({ rule: "imitation", intensity: 0, updates: LIMITS.populationSize, fitness: "linear" }),
    ).toMatchObject({ intensity: 0, updates: LIMITS.populationSize });
  });

  it.each([
    [
      { rule: "death-birth", intensity: -1 },
      "donorGame.update.intensity: got -1, expected a number >= 0",
    ],
    [
      { rule: "moran" },
      'donorGame.update.rule: got "moran", expected one of "truncation", "death-birth", "birth-death", "imitation"',
    ],
    [{}, "donorGame.update.rule: got nothing, expected one of"],
    [
      { rule: "birth-death", updates: 0 },
      "donorGame.update.updates: got 0, expected a number >= 1",
    ],
    [{ rule: "birth-death", updates: 1.5 }, "donorGame.update.updates: got 1.5, expected a"],
    [
      { rule: "imitation", updates: LIMITS.populationSize + 1 },
      `donorGame.update.updates: got ${LIMITS.populationSize + 1}, expected a number <= ${LIMITS.populationSize}`,
    ],
    [
      { rule: "death-birth", fitness: "quadratic" },
      'donorGame.update.fitness: got "quadratic", expected one of "linear", "exponential"',
    ],
    [
      { rule: "truncation", intensity: 0.1 },
      "donorGame.update.intensity: got 0.1, expected no such key",
    ],
    [
      { rule: "death-birth", intensty: 0.1 },
      "donorGame.update.intensty: got 0.1, expected no such key",
    ],
  ])("rejects %j", (value, message) => {
    expect(() => parse(value)).toThrow(message);
  });

  it("maps to a selection rule, truncation keeping the scenario's survivor fraction", () => {
    expect(selectionRule({ rule: "truncation" }, 0.3)).toEqual({
      kind: "truncation",
      survivorFraction: 0.3,
    });
    expect(selectionRule(parse({ rule: "birth-death", intensity: 0.4, updates: 7 }), 0.3)).toEqual({
      kind: "birth-death",
      intensity: 0.4,
      updates: 7,
      fitness: "linear",
    });
  });
});
