/**
 * The spread of generation-1 texts over graph distance (`originSimilarityAtDistance0..5`,
 * `originSimilaritySlope`, scenarios/transmission/metrics/spread.ts): worked out by hand on fixed
 * texts, and on policy-mind runs recomputed from agents.jsonl with an independent reference (the
 * reference TF-IDF model, distances on a cycle and a directed path by formula, every origin);
 * absent in chain mode, null in generation 1, the same on a second run with the same seed, and
 * with fewer origins than agents always the same origins.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startRunFrom } from "../../../sim/app/run.js";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { resolveConfig } from "../../../sim/core/config.js";
import { ExplicitGraph, Graph, type SocialGraph } from "../../../sim/core/graph/index.js";
import { Rng } from "../../../sim/core/rng.js";
import { readJsonlStrict, tempDir } from "../../../tests/support/llm-helpers.js";
import {
  DEFAULT_TEXT_METRICS_OPTIONS,
  generationTextMetrics,
  type AuthoredText,
} from "../metrics/index.js";
import { cosine, tfidfVectors } from "../metrics/tfidf.js";
import { transmissionView } from "../view.js";

const SCENARIOS = await builtinScenarios();
const tmp = tempDir("transmission-spread");
afterAll(() => tmp.cleanup());

const KEYS = [0, 1, 2, 3, 4, 5].map((d) => `originSimilarityAtDistance${d}`);
const ALL_KEYS = [...KEYS, "originSimilaritySlope"];

function pathGraph(nodes: readonly string[], type: "directed" | "undirected"): SocialGraph {
  const g = new Graph({ type });
  for (const node of nodes) g.addNode(node);
  for (let i = 1; i < nodes.length; i++) g.addEdge(nodes[i - 1]!, nodes[i]!);
  return new ExplicitGraph(g);
}

const placed = (texts: Record<string, string>): AuthoredText[] =>
  Object.entries(texts).map(([slot, text]) => ({ agentId: `w-${slot}`, slot, text }));

/** Least-squares slope of ys over xs. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  return sxy / sxx;
}

describe("originSimilarity on fixed texts", () => {
  // One word each: a text's TF-IDF vector is 1 on its word, so cosines are exactly 1 or 0.
  const first = placed({ a: "apple", b: "banana", c: "cherry" });
  const second = placed({ a: "banana", b: "apple", c: "apple" });
  const metrics = (graph: SocialGraph, options = DEFAULT_TEXT_METRICS_OPTIONS, seed = 1) =>
    generationTextMetrics({
      generation: 2,
      texts: second,
      history: [first],
      options,
      network: { graph, origins: new Rng(seed, ["origins"]) },
    });

  it("averages, per distance, each origin's mean similarity to its generation-1 text", async () => {
    // Path a - b - c. Origin a (apple): a 0 at d0, b 1 at d1, c 1 at d2. Origin b (banana): b 0 at
    // d0; a 1 and c 0 at d1 (mean 0.5). Origin c (cherry): 0 everywhere.
    // d0 = 0; d1 = (1 + 0.5 + 0) / 3; d2 = (1 + 0) / 2 (b has nothing at d2).
    const m = await metrics(pathGraph(["a", "b", "c"], "undirected"));
    expect(m.originSimilarityAtDistance0).toBe(0);
    expect(m.originSimilarityAtDistance1).toBeCloseTo(0.5, 15);
    expect(m.originSimilarityAtDistance2).toBeCloseTo(0.5, 15);
    for (const d of [3, 4, 5]) expect(m[`originSimilarityAtDistance${d}`]).toBeNull();
    // Points (0, 0), (1, 0.5), (2, 0.5): Sxy = 0.5, Sxx = 2.
    expect(m.originSimilaritySlope).toBeCloseTo(0.25, 15);
  });

  it("follows edge directions: a text travels from an agent to its out-neighbours", async () => {
    // a -> b -> c. Origin a: d1 b 1, d2 c 1. Origin b: d1 c 0. Origin c reaches only itself.
    const m = await metrics(pathGraph(["a", "b", "c"], "directed"));
    expect(m.originSimilarityAtDistance0).toBe(0);
    expect(m.originSimilarityAtDistance1).toBeCloseTo(0.5, 15);
    expect(m.originSimilarityAtDistance2).toBeCloseTo(1, 15);
    expect(m.originSimilaritySlope).toBeCloseTo(0.5, 15);
  });

  it("leaves out slots without a text now; null in generation 1", async () => {
    // c wrote nothing usable: origin a has b at d1 only, origin b has a at d1, origin c has b (0)
    // at d1 and a (0) at d2.
    const m = await generationTextMetrics({
      generation: 2,
      texts: second.slice(0, 2),
      history: [first],
      options: DEFAULT_TEXT_METRICS_OPTIONS,
      network: { graph: pathGraph(["a", "b", "c"], "undirected"), origins: new Rng(1) },
    });
    expect(m.originSimilarityAtDistance0).toBe(0);
    expect(m.originSimilarityAtDistance1).toBeCloseTo(2 / 3, 15);
    expect(m.originSimilarityAtDistance2).toBe(0);
    const m1 = await generationTextMetrics({
      generation: 1,
      texts: first,
      history: [],
      options: DEFAULT_TEXT_METRICS_OPTIONS,
      network: { graph: pathGraph(["a", "b", "c"], "undirected"), origins: new Rng(1) },
    });
    for (const key of ALL_KEYS) expect(m1[key], key).toBeNull();
  });

  it("with fewer origins allowed than texts, follows a seeded draw of them", async () => {
    const graph = pathGraph(["a", "b", "c"], "undirected");
    // Each origin's own profile (d0, d1, d2), from the first test.
    const profiles = [
      [0, 1, 1],
      [0, 0.5, null],
      [0, 0, 0],
    ];
    const options = { ...DEFAULT_TEXT_METRICS_OPTIONS, spreadOrigins: 1 };
    const seen = new Set<number>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const m = await metrics(graph, options, seed);
      expect(await metrics(graph, options, seed)).toEqual(m);
      const got = [0, 1, 2].map((d) => m[`originSimilarityAtDistance${d}`]);
      const which = profiles.findIndex((p) => JSON.stringify(p) === JSON.stringify(got));
      expect(which, JSON.stringify(got)).toBeGreaterThanOrEqual(0);
      seen.add(which);
    }
    // Eight seeds do not all draw the same origin.
    expect(seen.size).toBeGreaterThan(1);
  });

  it("is there only with a network (not in chain mode)", async () => {
    const input = { generation: 2, texts: second, history: [first] };
    const without = await generationTextMetrics({
      ...input,
      options: DEFAULT_TEXT_METRICS_OPTIONS,
    });
    const withNetwork = await metrics(pathGraph(["a", "b", "c"], "undirected"));
    for (const key of ALL_KEYS) {
      expect(key in without, key).toBe(false);
      expect(key in withNetwork, key).toBe(true);
    }
  });
});

type Row = Record<string, unknown> & { generation: number };

async function run(name: string, config: Record<string, unknown>): Promise<string> {
  const out = join(tmp.path, name);
  const result = await startRunFrom(
    {
      scenario: "transmission",
      seed: 3,
      generations: 6,
      population: { size: 12, minds: [{ count: 12, policy: "text-operators" }] },
      ...config,
    },
    tmp.path,
    { out },
  );
  expect(result.status).toBe("completed");
  return out;
}

const rowsOf = (dir: string, file: string) => readJsonlStrict<Row>(join(dir, file));

/**
 * The metric by its definition, every origin, from the run's agents.jsonl: one TF-IDF model
 * fitted on the generations' texts so far, distances by `distance(originIndex, index)` (null:
 * unreachable).
 */
function reference(
  dir: string,
  generation: number,
  distance: (from: number, to: number) => number | null,
): Record<string, number | null> {
  const rows = rowsOf(dir, "agents.jsonl").filter((r) => r.generation <= generation);
  const vectors = tfidfVectors(
    rows.map((r) => r.text as string),
    "english",
  );
  const slotIndex = (r: Row) => Number((r.slot as string).replace("g1-a", "")) - 1;
  const origins = rows.flatMap((r, i) => (r.generation === 1 ? [{ at: slotIndex(r), i }] : []));
  const now = rows.flatMap((r, i) =>
    r.generation === generation ? [{ at: slotIndex(r), i }] : [],
  );
  const perDistance: number[][] = KEYS.map(() => []);
  for (const origin of origins) {
    const byDistance: number[][] = KEYS.map(() => []);
    for (const text of now) {
      const d = distance(origin.at, text.at);
      if (d === null || d > 5) continue;
      byDistance[d]!.push(cosine(vectors[origin.i]!, vectors[text.i]!));
    }
    byDistance.forEach((xs, d) => {
      if (xs.length > 0) perDistance[d]!.push(xs.reduce((a, b) => a + b, 0) / xs.length);
    });
  }
  const means = perDistance.map((xs) =>
    xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length,
  );
  const ds = means.flatMap((m, d) => (m === null ? [] : [d]));
  const out: Record<string, number | null> = {};
  means.forEach((m, d) => (out[KEYS[d]!] = m));
  out.originSimilaritySlope = slope(
    ds,
    ds.map((d) => means[d]!),
  );
  return out;
}

function expectClose(got: Row, expected: Record<string, number | null>, label: string): void {
  for (const [key, value] of Object.entries(expected)) {
    if (value === null) expect(got[key], `${label} ${key}`).toBeNull();
    else expect(got[key] as number, `${label} ${key}`).toBeCloseTo(value, 12);
  }
}

describe("runs on policy minds", () => {
  it("on a cycle with turnover: every generation's row equals the definition, the same on a rerun", async () => {
    const config = {
      graph: { type: "cycle" },
      transmission: { mode: "network", socialLearning: { turnover: 0.25 } },
    };
    const dir = await run("cycle", config);
    const rows = rowsOf(dir, "metrics.jsonl");
    for (const key of ALL_KEYS) expect(rows[0]![key], key).toBeNull();
    // On a cycle of 12 the farthest slot is 6 hops away: distance 6 is left out.
    const onCycle = (a: number, b: number) => Math.min(Math.abs(a - b), 12 - Math.abs(a - b));
    for (const row of rows.slice(1)) {
      for (const key of ALL_KEYS) expect(typeof row[key], key).toBe("number");
      expectClose(row, reference(dir, row.generation, onCycle), `generation ${row.generation}`);
    }
    // Newcomers took slots: the reference went by slot, not by author.
    const agents = rowsOf(dir, "agents.jsonl");
    expect(agents.some((r) => r.agentId !== r.slot)).toBe(true);

    const again = rowsOf(await run("cycle-again", config), "metrics.jsonl");
    expect(again.map((r) => ALL_KEYS.map((k) => r[k]))).toEqual(
      rows.map((r) => ALL_KEYS.map((k) => r[k])),
    );
  });

  it("on a directed path: only the agents downstream of an origin count", async () => {
    const dir = await run("directed", {
      graph: { type: "chain", directed: true },
      transmission: { mode: "network" },
    });
    const downstream = (a: number, b: number) => (b >= a ? b - a : null);
    for (const row of rowsOf(dir, "metrics.jsonl").slice(1))
      expectClose(row, reference(dir, row.generation, downstream), `generation ${row.generation}`);
  });

  it("with fewer origins than agents: the same drawn origins in every generation", async () => {
    const dir = await run("sampled", {
      graph: { type: "cycle" },
      transmission: { mode: "network", metrics: { spreadOrigins: 4 } },
    });
    const rows = rowsOf(dir, "metrics.jsonl").slice(1);
    const onCycle = (a: number, b: number) => Math.min(Math.abs(a - b), 12 - Math.abs(a - b));
    // Each origin's own profile by generation: the reference with that origin alone.
    const single = (origin: number, generation: number) =>
      reference(dir, generation, (a, b) => (a === origin ? onCycle(a, b) : null));
    const profiles = rows.map((row) =>
      Array.from({ length: 12 }, (_, o) => KEYS.map((k) => single(o, row.generation)[k]!)),
    );
    // The 4-origin subsets whose mean profile gives every generation's row.
    const matching: number[][] = [];
    for (let a = 0; a < 12; a++)
      for (let b = a + 1; b < 12; b++)
        for (let c = b + 1; c < 12; c++)
          for (let d = c + 1; d < 12; d++) {
            const subset = [a, b, c, d];
            const fits = rows.every((row, g) =>
              KEYS.every((key, k) => {
                const mean = subset.reduce((s, o) => s + profiles[g]![o]![k]!, 0) / 4;
                return Math.abs(mean - (row[key] as number)) < 1e-12;
              }),
            );
            if (fits) matching.push(subset);
          }
    expect(matching).toHaveLength(1);
  });

  it("names the field and the value of a bad origin count", async () => {
    const bad = (spreadOrigins: unknown) => () =>
      resolveConfig(
        {
          scenario: "transmission",
          population: { size: 6, minds: [{ count: 6, policy: "text-operators" }] },
          transmission: { metrics: { spreadOrigins } },
        },
        SCENARIOS,
      );
    expect(bad(0)).toThrow(/^transmission\.metrics\.spreadOrigins: got 0, expected a number >= 1/);
    expect(bad(2.5)).toThrow(/^transmission\.metrics\.spreadOrigins: got 2\.5, expected/);
  });

  it("is in every network-mode row (null in generation 1) and in no chain-mode row", async () => {
    const network = rowsOf(
      await run("network", { generations: 3, graph: { type: "complete" } }),
      "metrics.jsonl",
    );
    const chains = rowsOf(
      await run("chains", {
        generations: 3,
        graph: { type: "paths", count: 4 },
        transmission: { mode: "chain", chains: 4 },
      }),
      "metrics.jsonl",
    );
    for (const key of ALL_KEYS) {
      expect(network[0]![key], key).toBeNull();
      for (const row of chains) expect(key in row, key).toBe(false);
    }
    // The complete graph: distance 0 and 1 only.
    for (const row of network.slice(1)) {
      expect(typeof row.originSimilarityAtDistance0).toBe("number");
      expect(typeof row.originSimilarityAtDistance1).toBe("number");
      for (const d of [2, 3, 4, 5]) expect(row[`originSimilarityAtDistance${d}`]).toBeNull();
      expect(row.originSimilaritySlope).toBeCloseTo(
        (row.originSimilarityAtDistance1 as number) - (row.originSimilarityAtDistance0 as number),
        12,
      );
    }
    // The viewer: one chart of the six distances and one of the slope, none in chain mode.
    const charts = (row: Row) =>
      transmissionView
        .generationCharts(Object.keys(row))
        .flatMap((c) =>
          c.series.some((x) => x.key.startsWith("originSimilarity"))
            ? [[c.id, c.series.map((x) => x.key)]]
            : [],
        );
    expect(charts(network.at(-1)!)).toEqual([
      ["tx-spread", KEYS],
      ["tx-spread-slope", ["originSimilaritySlope"]],
    ]);
    expect(charts(chains.at(-1)!)).toEqual([]);
  });
});
