/**
 * The random regular graph and the ring and 2-D lattices (sim/core/graph/generators.ts): degrees,
 * simplicity, the exact neighbourhoods of the lattices, the random graph's reproducibility and its
 * spread over the possible graphs, their statistics, bounds and config errors (also through `agora
 * validate`).
 */
import { afterAll, describe, expect, it } from "vitest";
import { configError } from "./support/errors.js";
import { graphSizeProblem, type GraphConfig } from "../sim/core/graph/config.js";
import {
  areAdjacent,
  buildGraph,
  Graph,
  graphConfigSchema,
  graphStats,
  type GraphConfigInput,
} from "../sim/core/graph/index.js";
import { Rng } from "../sim/core/rng.js";
import { runCli, tempDir, writeConfig } from "./support/llm-helpers.js";

const agents = (n: number) => Array.from({ length: n }, (_, i) => `agent-${i}`);
const build = (config: GraphConfigInput, n: number, seed = 7) =>
  buildGraph(config, agents(n), new Rng(seed).derive("graph"));
const index = (node: string) => Number(node.slice("agent-".length));
const neighbourIndices = (graph: Graph, i: number) =>
  graph
    .neighbors(`agent-${i}`)
    .map(index)
    .sort((a, b) => a - b);
const edgeKey = (graph: Graph, edge: string) =>
  [graph.source(edge), graph.target(edge)]
    .map(index)
    .sort((a, b) => a - b)
    .join("-");
const edgeSet = (graph: Graph) => graph.edges().map((edge) => edgeKey(graph, edge));

/** Every node of degree k, undirected, no self-loops, no edge twice. */
function expectSimpleRegular(graph: Graph, n: number, k: number): void {
  expect(graph.type).toBe("undirected");
  expect(graph.order).toBe(n);
  expect(graph.size).toBe((n * k) / 2);
  expect(graph.nodes().filter((node) => graph.degree(node) !== k)).toEqual([]);
  expect(graph.edges().filter((edge) => graph.source(edge) === graph.target(edge))).toEqual([]);
  expect(new Set(edgeSet(graph)).size).toBe(graph.size);
}

describe("random-regular", () => {
  it.each([
    [10, 3],
    [12, 1],
    [9, 2],
    [40, 5],
    // Above (n-1)/2 the generator draws the complement; n-1 is the complete graph.
    [12, 7],
    [13, 8],
    [12, 11],
    [200, 20],
  ])("n = %i, k = %i: simple, undirected, every node of degree k", (n, k) => {
    for (const seed of [1, 2, 3])
      expectSimpleRegular(build({ type: "random-regular", k }, n, seed), n, k);
  });

  it("the same seed gives the same graph, edge for edge; other seeds other graphs", () => {
    const config = { type: "random-regular", k: 4 } as const;
    const first = build(config, 30, 11).export();
    expect(build(config, 30, 11).export()).toEqual(first);
    const others = [12, 13, 14].map((seed) => JSON.stringify(build(config, 30, seed).export()));
    expect(new Set([JSON.stringify(first), ...others]).size).toBe(4);
  });

  it("adds its edges in node order, whatever order the draw found them in", () => {
    const graph = build({ type: "random-regular", k: 3 }, 20);
    const pairs = graph.edges().map((edge) => [graph.source(edge), graph.target(edge)].map(index));
    expect(pairs.every(([a, b]) => a! < b!)).toBe(true);
    const flat = pairs.map(([a, b]) => a! * 20 + b!);
    expect(flat).toEqual([...flat].sort((a, b) => a - b));
  });

  // Six nodes have 70 labelled 2-regular graphs (10 pairs of triangles, 60 hexagons) and 70
  // labelled 3-regular ones (their complements); k = 3 takes the generator's complement path.
  it.each([
    [6, 2],
    [6, 3],
    [7, 2],
  ])("n = %i, k = %i over 3,000 seeds: every edge equally likely, every graph drawn", (n, k) => {
    const runs = 3000;
    const edgeCounts = new Map<string, number>();
    const graphs = new Set<string>();
    for (let seed = 0; seed < runs; seed++) {
      const edges = edgeSet(build({ type: "random-regular", k }, n, seed));
      for (const edge of edges) edgeCounts.set(edge, (edgeCounts.get(edge) ?? 0) + 1);
      graphs.add(edges.sort().join(","));
    }
    // Every one of the n(n-1)/2 possible edges, each in a share k/(n-1) of the graphs (within
    // 5 standard errors).
    expect(edgeCounts.size).toBe((n * (n - 1)) / 2);
    const p = k / (n - 1);
    const tolerance = 5 * Math.sqrt((p * (1 - p)) / runs);
    for (const [edge, count] of edgeCounts)
      expect(Math.abs(count / runs - p), edge).toBeLessThan(tolerance);
    if (n === 6) expect(graphs.size).toBe(70);
  });

  it("errors name graph.k with its value: odd n * k, k >= n, k < 1", () => {
    const odd = configError(() => build({ type: "random-regular", k: 3 }, 11));
    expect([odd.path, odd.value]).toEqual(["graph.k", 3]);
    expect(odd.message).toBe(
      "graph.k: got 3, expected an even integer when the population size is odd (11 * 3 = 33 edge ends cannot pair up)",
    );
    const big = configError(() => build({ type: "random-regular", k: 10 }, 10));
    expect(big.message).toBe("graph.k: got 10, expected an integer below the population size 10");
    const small = configError(() => build({ type: "random-regular", k: 0 }, 10));
    expect(small.message).toBe("graph.k: got 0, expected an integer >= 1");
    const missing = configError(() => build({ type: "random-regular" } as GraphConfigInput, 10));
    expect(missing.path).toBe("graph.k");
  });
});

describe("lattice, dimensions 1 (ring)", () => {
  it("links each node to its k/2 nearest on either side, and to no one else", () => {
    for (const [n, k] of [
      [11, 4],
      [10, 2],
      [12, 6],
      [9, 8],
    ] as const) {
      const graph = build({ type: "lattice", dimensions: 1, k }, n);
      expectSimpleRegular(graph, n, k);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const ringDistance = Math.min(Math.abs(i - j), n - Math.abs(i - j));
          expect(areAdjacent(graph, `agent-${i}`, `agent-${j}`), `${i}-${j}`).toBe(
            ringDistance >= 1 && ringDistance <= k / 2,
          );
        }
      expect(graphStats(graph).connected).toBe(true);
    }
  });

  it("draws nothing: the same graph whatever the seed", () => {
    const config = { type: "lattice", dimensions: 1, k: 4 } as const;
    expect(build(config, 15, 1).export()).toEqual(build(config, 15, 2).export());
  });

  it("k = 2 is the cycle", () => {
    expect(edgeSet(build({ type: "lattice", dimensions: 1, k: 2 }, 8)).sort()).toEqual(
      edgeSet(build({ type: "cycle" }, 8)).sort(),
    );
  });
});

describe("lattice, dimensions 2 (torus)", () => {
  const rows = 4;
  const cols = 5;
  const cell = (r: number, c: number) => ((r + rows) % rows) * cols + ((c + cols) % cols);
  const expected = (i: number, offsets: [number, number][]) => {
    const [r, c] = [Math.floor(i / cols), i % cols];
    return offsets.map(([dr, dc]) => cell(r + dr, c + dc)).sort((a, b) => a - b);
  };
  const vonNeumann: [number, number][] = [
    [-1, 0],
    [1, 0],
    [0, -1],
    [0, 1],
  ];
  const moore: [number, number][] = [...vonNeumann, [-1, -1], [-1, 1], [1, -1], [1, 1]];

  it("k = 4: each cell's neighbours are exactly the 4 von Neumann cells, wrapping", () => {
    const graph = build({ type: "lattice", dimensions: 2, rows, cols, k: 4 }, rows * cols);
    expectSimpleRegular(graph, rows * cols, 4);
    for (let i = 0; i < rows * cols; i++)
      expect(neighbourIndices(graph, i), `cell ${i}`).toEqual(expected(i, vonNeumann));
    // The corner (0, 0) of 4 rows of 5: right, left across the edge, down, up across the edge.
    expect(neighbourIndices(graph, 0)).toEqual([1, 4, 5, 15]);
    expect(graphStats(graph).connected).toBe(true);
  });

  it("k = 8: each cell's neighbours are exactly the 8 Moore cells, wrapping", () => {
    const graph = build({ type: "lattice", dimensions: 2, rows, cols, k: 8 }, rows * cols);
    expectSimpleRegular(graph, rows * cols, 8);
    for (let i = 0; i < rows * cols; i++)
      expect(neighbourIndices(graph, i), `cell ${i}`).toEqual(expected(i, moore));
    expect(neighbourIndices(graph, 0)).toEqual([1, 4, 5, 6, 9, 15, 16, 19]);
    // The last cell (3, 4) wraps to row 0 and column 0.
    expect(neighbourIndices(graph, 19)).toEqual([0, 3, 4, 10, 13, 14, 15, 18]);
    expect(graphStats(graph).connected).toBe(true);
  });

  it("k = 4 is the torus of the same shape; 3 x 3 with k = 8 is the complete graph", () => {
    expect(edgeSet(build({ type: "lattice", dimensions: 2, rows, cols, k: 4 }, 20))).toEqual(
      edgeSet(build({ type: "torus", rows, cols }, 20)),
    );
    expectSimpleRegular(build({ type: "lattice", dimensions: 2, rows: 3, cols: 3, k: 8 }, 9), 9, 8);
  });
});

describe("statistics and bounds", () => {
  it("graphStats: mean degree k; a ring lattice's clustering 3(k-2)/(4(k-1)); Moore 3/7", () => {
    const ring = graphStats(build({ type: "lattice", dimensions: 1, k: 6 }, 30));
    expect(ring.meanDegree).toBe(6);
    expect(ring.clustering).toBeCloseTo((3 * 4) / (4 * 5), 12);
    const vonNeumann = graphStats(
      build({ type: "lattice", dimensions: 2, rows: 4, cols: 5, k: 4 }, 20),
    );
    expect([vonNeumann.meanDegree, vonNeumann.clustering]).toEqual([4, 0]);
    // Of a cell's 8 Moore neighbours, 12 of the 28 pairs are neighbours themselves.
    const moore = graphStats(build({ type: "lattice", dimensions: 2, rows: 4, cols: 5, k: 8 }, 20));
    expect(moore.meanDegree).toBe(8);
    expect(moore.clustering).toBeCloseTo(3 / 7, 12);
    expect(graphStats(build({ type: "random-regular", k: 5 }, 40)).meanDegree).toBe(5);
  });

  it("counts n * k / 2 edges against the edge bound", () => {
    const parse = (config: GraphConfigInput): GraphConfig => graphConfigSchema.parse(config);
    expect(graphSizeProblem(parse({ type: "random-regular", k: 20 }), 100_000)).toBeUndefined();
    expect(graphSizeProblem(parse({ type: "random-regular", k: 22 }), 100_000)).toBe(
      "a graph of at most 1,000,000 edges: random-regular on 100000 agents has 1,100,000 (use a sparser graph or fewer agents)",
    );
    expect(graphSizeProblem(parse({ type: "lattice", dimensions: 1, k: 30 }), 100_000)).toContain(
      "lattice on 100000 agents has 1,500,000",
    );
    expect(
      graphSizeProblem(
        parse({ type: "lattice", dimensions: 2, rows: 250, cols: 400, k: 8 }),
        100_000,
      ),
    ).toBeUndefined();
  });
});

describe("lattice config errors", () => {
  const cases: [string, unknown, number, string, unknown, string][] = [
    [
      "no dimensions",
      { type: "lattice", k: 4 },
      12,
      "graph.dimensions",
      undefined,
      "1 (a ring) or 2 (a torus)",
    ],
    [
      "3 dimensions",
      { type: "lattice", dimensions: 3, k: 4 },
      12,
      "graph.dimensions",
      3,
      "1 (a ring) or 2 (a torus)",
    ],
    [
      "odd ring k",
      { type: "lattice", dimensions: 1, k: 3 },
      12,
      "graph.k",
      3,
      "an even integer >= 2 for a ring lattice (dimensions: 1)",
    ],
    [
      "ring k >= n",
      { type: "lattice", dimensions: 1, k: 12 },
      12,
      "graph.k",
      12,
      "an even integer below the population size 12",
    ],
    [
      "rows on a ring",
      { type: "lattice", dimensions: 1, k: 4, rows: 3 },
      12,
      "graph.rows",
      3,
      "no rows or cols with dimensions: 1 (a ring; they size a 2-D lattice)",
    ],
    [
      "2-D k not 4 or 8",
      { type: "lattice", dimensions: 2, rows: 3, cols: 4, k: 6 },
      12,
      "graph.k",
      6,
      "4 (von Neumann) or 8 (Moore) for a 2-D lattice (dimensions: 2)",
    ],
    [
      "2-D without cols",
      { type: "lattice", dimensions: 2, rows: 3, k: 4 },
      12,
      "graph.cols",
      undefined,
      "an integer >= 3: a 2-D lattice needs rows and cols",
    ],
    [
      "rows * cols != n",
      { type: "lattice", dimensions: 2, rows: 3, cols: 3, k: 4 },
      12,
      "graph.rows",
      3,
      "rows * cols (3 * 3 = 9) to equal the population size 12",
    ],
    [
      "2-D side below 3",
      { type: "lattice", dimensions: 2, rows: 2, cols: 6, k: 8 },
      12,
      "graph.rows",
      2,
      "an integer >= 3",
    ],
  ];
  it.each(cases)("%s", (_name, config, n, path, value, expected) => {
    const error = configError(() => build(config as GraphConfigInput, n));
    expect([error.path, error.value]).toEqual([path, value]);
    expect(error.expected).toBe(expected);
  });
});

describe("agora validate", () => {
  const tmp = tempDir("graph-regular-lattice");
  afterAll(() => tmp.cleanup());
  const donorGame = (graph: unknown) => ({
    scenario: "donor-game",
    population: { size: 12, minds: [{ count: 12, policy: "defect" }] },
    graph,
  });

  it.each([
    { type: "random-regular", k: 3 },
    { type: "lattice", dimensions: 1, k: 4 },
    { type: "lattice", dimensions: 2, rows: 3, cols: 4, k: 8 },
  ])("accepts %j", async (graph) => {
    const result = await runCli([
      "validate",
      writeConfig(tmp.path, `ok-${graph.type}.yaml`, donorGame(graph)),
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("valid:");
  });

  it.each([
    [
      { type: "random-regular", k: 12 },
      "config error: graph.k: got 12, expected an integer below the population size 12",
    ],
    [
      { type: "lattice", dimensions: 2, rows: 3, cols: 4, k: 6 },
      "config error: graph.k: got 6, expected 4 (von Neumann) or 8 (Moore)",
    ],
    [
      { type: "lattice", dimensions: 2, rows: 3, cols: 3, k: 4 },
      "config error: graph.rows: got 3, expected rows * cols (3 * 3 = 9) to equal the population size 12",
    ],
  ])("refuses %j with exit 2, naming the field", async (graph, message) => {
    const result = await runCli(["validate", writeConfig(tmp.path, "bad.yaml", donorGame(graph))]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
