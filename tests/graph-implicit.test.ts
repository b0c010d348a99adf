/**
 * The implicit complete graph (sim/core/graph/social.ts) against graphology's materialised one,
 * its closed-form statistics, the compact form run-started records (sim/core/graph/compact.ts), and
 * runs: the same Donor Game on the implicit complete graph and on the same graph spelled out as an
 * adjacency matrix gives the same events.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startRunFrom } from "../sim/app/run.js";
import { resolveConfig } from "../sim/core/config.js";
import type { AgoraEvent } from "../sim/core/events.js";
import {
  compactGraph,
  recordedEdgeCount,
  recordedNodes,
  serializedGraph,
} from "../sim/core/graph/compact.js";
import {
  areAdjacent,
  buildGraph,
  buildSocialGraph,
  ExplicitGraph,
  Graph,
  graphStats,
  type GraphConfigInput,
} from "../sim/core/graph/index.js";
import { Rng } from "../sim/core/rng.js";
import { builtinScenarios } from "../sim/app/scenarios.js";
import { readEvents, ROOT, tempDir } from "./support/llm-helpers.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `g1-a${i + 1}`);
const SCENARIOS = await builtinScenarios();
const tmp = tempDir("graph-implicit");
afterAll(() => tmp.cleanup());

describe("the implicit complete graph", () => {
  it("answers every question as graphology's materialised complete graph does", () => {
    const nodes = ids(7);
    const implicit = buildSocialGraph({ type: "complete" }, nodes, new Rng(1));
    const stored = new ExplicitGraph(buildGraph({ type: "complete" }, nodes, new Rng(1)));
    expect(implicit.kind).toBe("complete");
    expect(implicit.explicit).toBeNull();
    for (const key of ["kind", "type", "order", "size"] as const)
      if (key !== "kind") expect(implicit[key], key).toBe(stored[key]);
    expect(implicit.nodes()).toEqual(stored.nodes());
    for (const a of nodes) {
      expect(implicit.neighbors(a), a).toEqual(stored.neighbors(a));
      expect(implicit.inboundNeighbors(a), a).toEqual(stored.inboundNeighbors(a));
      expect(implicit.outboundNeighbors(a), a).toEqual(stored.outboundNeighbors(a));
      expect(implicit.degree(a), a).toBe(stored.degree(a));
      for (const b of [...nodes, "stranger"]) {
        expect(implicit.hasEdge(a, b), `${a} ${b}`).toBe(stored.hasEdge(a, b));
        expect(areAdjacent(implicit, a, b), `${a} ${b}`).toBe(areAdjacent(stored, a, b));
        if (b !== "stranger")
          expect(implicit.edgeWeight(a, b), `${a} ${b}`).toBe(stored.edgeWeight(a, b));
      }
    }
    expect(() => implicit.neighbors("stranger")).toThrow(/no node "stranger"/);
  });

  it("has graphStats in closed form equal to the general computation", () => {
    for (const n of [1, 2, 3, 6]) {
      const nodes = ids(n);
      expect(
        graphStats(buildSocialGraph({ type: "complete" }, nodes, new Rng(1))),
        `n=${n}`,
      ).toEqual(graphStats(buildGraph({ type: "complete" }, nodes, new Rng(1))));
    }
  });

  it("is built for populations the edge cap refused (5,000 agents: 12.5 million edges)", () => {
    const minds = [{ count: 5000, policy: "defect" }];
    const raw = { scenario: "donor-game", seed: 1, population: { size: 5000, minds } };
    const loaded = resolveConfig(raw, SCENARIOS);
    const graph = buildSocialGraph(loaded.config.graph, ids(5000), new Rng(1));
    expect(graph.size).toBe(12_497_500);
    expect(graphStats(graph)).toMatchObject({ nodes: 5000, edges: 12_497_500, clustering: 1 });
    expect(compactGraph(graph)).toEqual({ kind: "complete", type: "undirected", nodes: ids(5000) });
  });

  it("keeps the empty-population error of the stored graph", () => {
    expect(() => buildSocialGraph({ type: "complete" }, [], new Rng(1))).toThrow(
      /graph\.type.*a population of at least 1 agents/,
    );
  });
});

describe("the compact recorded graph", () => {
  const cases: [string, GraphConfigInput, number][] = [
    ["complete", { type: "complete" }, 5],
    ["cycle", { type: "cycle" }, 6],
    ["directed chain", { type: "chain" }, 4],
    ["caveman (node attributes)", { type: "connected-caveman", cliques: 2, size: 3 }, 6],
    [
      "weighted directed matrix",
      {
        type: "adjacency",
        matrix: [
          [0, 2, 0],
          [0, 0, 1],
          [0.5, 0, 0],
        ],
      },
      3,
    ],
    ["file (attributes)", { type: "file", path: "tests/fixtures/graphs/triangle-tail.json" }, 4],
  ];
  it.for(cases)("%s: reads back as graphology's export of the stored graph", ([, config, n]) => {
    const nodes = ids(n);
    const stored = buildGraph(config, nodes, new Rng(3), { baseDir: ROOT });
    const compact = compactGraph(buildSocialGraph(config, nodes, new Rng(3), { baseDir: ROOT }));
    expect(serializedGraph(JSON.parse(JSON.stringify(compact)))).toEqual(stored.export());
    expect(recordedNodes(compact)).toEqual(nodes);
    expect(recordedEdgeCount(compact)).toBe(stored.size);
  });

  it("keeps a mixed graph's undirected edges apart from its arcs", () => {
    const mixed = new Graph({ type: "mixed", multi: false, allowSelfLoops: false });
    for (const id of ids(3)) mixed.addNode(id);
    mixed.addDirectedEdgeWithKey("g1-a1->g1-a2", "g1-a1", "g1-a2");
    mixed.addUndirectedEdgeWithKey("g1-a2--g1-a3", "g1-a2", "g1-a3", { weight: 3 });
    const compact = compactGraph(new ExplicitGraph(mixed));
    expect(compact.undirected).toEqual([1]);
    expect(serializedGraph(compact)).toEqual(mixed.export());
  });

  it("passes version 1 and 2 graphs (graphology's export) through unchanged", () => {
    const exported = buildGraph({ type: "cycle" }, ids(4), new Rng(1)).export();
    expect(serializedGraph(exported)).toBe(exported);
    expect(recordedNodes(exported)).toEqual(ids(4));
    expect(recordedEdgeCount(exported)).toBe(4);
  });

  it("lists a complete graph's edges only up to maxCompleteEdges", () => {
    const compact = compactGraph(buildSocialGraph({ type: "complete" }, ids(30), new Rng(1)));
    expect(serializedGraph(compact, { maxCompleteEdges: 435 }).edges).toHaveLength(435);
    const bare = serializedGraph(compact, { maxCompleteEdges: 434 });
    expect(bare.edges).toEqual([]);
    expect(bare.nodes.map((node) => node.key)).toEqual(ids(30));
  });
});

describe("runs on the implicit complete graph", () => {
  it("give the events of the same graph spelled out as a matrix; run-started holds the nodes", async () => {
    const n = 8;
    const base = {
      scenario: "donor-game",
      seed: 5,
      generations: 3,
      population: {
        size: n,
        minds: [
          { count: 4, policy: "tit-for-tat", initial: 1 },
          { count: 4, policy: "random", min: 0, max: 1 },
        ],
      },
    };
    const matrix = ids(n).map((_, i) => ids(n).map((_, j) => (i === j ? 0 : 1)));
    const runs: AgoraEvent[][] = [];
    for (const [name, graph] of [
      ["implicit", { type: "complete" }],
      ["matrix", { type: "adjacency", matrix }],
    ] as const) {
      const out = join(tmp.path, name);
      const result = await startRunFrom({ ...base, graph }, tmp.path, { out });
      expect(result.status).toBe("completed");
      runs.push(readEvents(out));
    }
    const [implicit, matrixRun] = runs as [AgoraEvent[], AgoraEvent[]];
    const started = implicit[0]!;
    expect(started.type === "run-started" && started.graph).toEqual({
      kind: "complete",
      type: "undirected",
      nodes: ids(n),
    });
    // givingAssortment is a closed form on the implicit graph and a sum over edges on the matrix:
    // equal up to rounding, so it is compared to 12 digits and the rest exactly.
    const assortments: number[][] = [[], []];
    const comparable = (events: AgoraEvent[], run: number) =>
      events.slice(1).map(({ at: _at, ...rest }) => {
        if (rest.type !== "metric" || typeof rest.values.givingAssortment !== "number") return rest;
        const { givingAssortment, ...values } = rest.values;
        assortments[run]!.push(givingAssortment);
        return { ...rest, values };
      });
    expect(comparable(implicit, 0)).toEqual(comparable(matrixRun, 1));
    expect(assortments[0]!.length).toBe(3);
    assortments[0]!.forEach((r, i) => expect(r).toBeCloseTo(assortments[1]![i]!, 12));
    expect(implicit.length).toBeGreaterThan(100);
  });
});
