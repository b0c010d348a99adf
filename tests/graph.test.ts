import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configError } from "./support/errors.js";
import {
  areAdjacent,
  buildGraph,
  Graph,
  graphConfigSchema,
  graphStats,
  type GraphConfigInput,
} from "../sim/core/graph/index.js";
import { Rng } from "../sim/core/rng.js";

const fixtures = fileURLToPath(new URL("./fixtures/graphs/", import.meta.url));
const agents = (n: number) => Array.from({ length: n }, (_, i) => `agent-${i}`);
const build = (config: GraphConfigInput, n: number, seed = 7) =>
  buildGraph(config, agents(n), new Rng(seed));
const load = (path: string, n: number, extra: object = {}) =>
  buildGraph({ type: "file", path, ...extra } as GraphConfigInput, agents(n), new Rng(1), {
    baseDir: fixtures,
  });
const degrees = (graph: Graph) => graph.nodes().map((node) => graph.degree(node));
const edgeSet = (graph: Graph) => graph.mapEdges((_e, _a, s, t) => [s, t].sort().join("|")).sort();

describe("schema", () => {
  it("defaults to a complete graph and fills option defaults", () => {
    expect(graphConfigSchema.parse(undefined)).toEqual({ type: "complete" });
    expect(graphConfigSchema.parse({ type: "chain" })).toEqual({ type: "chain", directed: true });
    expect(graphConfigSchema.parse({ type: "star" })).toEqual({ type: "star", center: 0 });
  });
});

describe("deterministic generators", () => {
  it("keys nodes by the given ids, in order, for every type", () => {
    const ids = agents(12);
    const configs: GraphConfigInput[] = [
      undefined,
      { type: "cycle" },
      { type: "chain" },
      { type: "star" },
      { type: "grid", rows: 3, cols: 4 },
      { type: "torus", rows: 3, cols: 4 },
      { type: "erdos-renyi", p: 0.5 },
      { type: "watts-strogatz", k: 4, beta: 0.3 },
      { type: "barabasi-albert", m: 2 },
      { type: "random-regular", k: 3 },
      { type: "lattice", dimensions: 1, k: 4 },
      { type: "lattice", dimensions: 2, rows: 3, cols: 4, k: 8 },
      { type: "connected-caveman", cliques: 3, size: 4 },
      {
        type: "sbm",
        sizes: [5, 7],
        p: [
          [0.9, 0.1],
          [0.1, 0.9],
        ],
      },
    ];
    for (const config of configs) expect(buildGraph(config, ids, new Rng(3)).nodes()).toEqual(ids);
  });

  it("complete: n(n-1)/2 edges, every node of degree n-1", () => {
    const graph = build(undefined, 9);
    expect(graph.type).toBe("undirected");
    expect(graph.size).toBe(36);
    expect(new Set(degrees(graph))).toEqual(new Set([8]));
  });

  it("cycle: n edges, each node linked to its two ring neighbours", () => {
    const graph = build({ type: "cycle" }, 7);
    expect(graph.size).toBe(7);
    expect(new Set(degrees(graph))).toEqual(new Set([2]));
    expect(areAdjacent(graph, "agent-6", "agent-0")).toBe(true);
  });

  it("chain: directed path by default, undirected on request", () => {
    const graph = build({ type: "chain" }, 5);
    expect(graph.type).toBe("directed");
    expect(graph.edges()).toEqual([
      "agent-0->agent-1",
      "agent-1->agent-2",
      "agent-2->agent-3",
      "agent-3->agent-4",
    ]);
    const undirected = build({ type: "chain", directed: false }, 5);
    expect(undirected.type).toBe("undirected");
    expect(undirected.size).toBe(4);
    expect(undirected.edges()[0]).toBe("agent-0--agent-1");
  });

  it("star: n-1 edges, all through the center", () => {
    const graph = build({ type: "star", center: 3 }, 6);
    expect(graph.size).toBe(5);
    expect(graph.degree("agent-3")).toBe(5);
    expect(
      graph
        .nodes()
        .filter((node) => node !== "agent-3")
        .every((node) => graph.degree(node) === 1),
    ).toBe(true);
  });

  it("grid: rows(cols-1) + cols(rows-1) edges, corners of degree 2", () => {
    const graph = build({ type: "grid", rows: 3, cols: 4 }, 12);
    expect(graph.size).toBe(3 * 3 + 4 * 2);
    expect([0, 3, 8, 11].map((i) => graph.degree(`agent-${i}`))).toEqual([2, 2, 2, 2]);
    expect(graph.degree("agent-5")).toBe(4);
    expect(areAdjacent(graph, "agent-1", "agent-5")).toBe(true);
    expect(areAdjacent(graph, "agent-3", "agent-4")).toBe(false); // end of row 0, start of row 1
  });

  it("torus: 2n edges, every node of degree 4, wrapping both ways", () => {
    const graph = build({ type: "torus", rows: 3, cols: 4 }, 12);
    expect(graph.size).toBe(24);
    expect(new Set(degrees(graph))).toEqual(new Set([4]));
    expect(areAdjacent(graph, "agent-3", "agent-0")).toBe(true);
    expect(areAdjacent(graph, "agent-9", "agent-1")).toBe(true);
  });

  it("connected caveman: cliques * size(size-1)/2 edges, connected, clique index as block", () => {
    const graph = build({ type: "connected-caveman", cliques: 4, size: 5 }, 20);
    expect(graph.size).toBe(4 * 10);
    expect(graphStats(graph).connected).toBe(true);
    expect(graph.getNodeAttribute("agent-7", "block")).toBe(1);
    // One edge per clique leaves it for the previous clique.
    expect(areAdjacent(graph, "agent-5", "agent-4")).toBe(true);
    expect(areAdjacent(graph, "agent-0", "agent-19")).toBe(true);
  });
});

describe("random generators", () => {
  it("erdos-renyi: p=0 gives no edges, p=1 the complete graph (directed: both directions)", () => {
    expect(build({ type: "erdos-renyi", p: 0 }, 10).size).toBe(0);
    expect(build({ type: "erdos-renyi", p: 1 }, 10).size).toBe(45);
    const directed = build({ type: "erdos-renyi", p: 1, directed: true }, 10);
    expect(directed.type).toBe("directed");
    expect(directed.size).toBe(90);
  });

  it("watts-strogatz with beta=0 is the ring lattice", () => {
    const n = 10;
    const graph = build({ type: "watts-strogatz", k: 4, beta: 0 }, n);
    expect(graph.size).toBe((n * 4) / 2);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const ringDistance = Math.min(Math.abs(i - j), n - Math.abs(i - j));
        expect(areAdjacent(graph, `agent-${i}`, `agent-${j}`)).toBe(
          ringDistance === 1 || ringDistance === 2,
        );
      }
  });

  it("watts-strogatz rewiring keeps the edge count and stays simple", () => {
    const lattice = edgeSet(build({ type: "watts-strogatz", k: 4, beta: 0 }, 30));
    for (const beta of [0.2, 1]) {
      const graph = build({ type: "watts-strogatz", k: 4, beta }, 30);
      expect(graph.size).toBe(60);
      expect(new Set(edgeSet(graph)).size).toBe(60);
      expect(graph.edges().every((edge) => graph.source(edge) !== graph.target(edge))).toBe(true);
      expect(edgeSet(graph)).not.toEqual(lattice);
    }
  });

  it("barabasi-albert: m(m+1)/2 core edges plus m per later node", () => {
    for (const [n, m] of [
      [20, 1],
      [20, 3],
      [6, 5],
    ] as const) {
      const graph = build({ type: "barabasi-albert", m }, n);
      expect(graph.size).toBe((m * (m + 1)) / 2 + m * (n - m - 1));
      expect(Math.min(...degrees(graph))).toBe(m);
      expect(graphStats(graph).connected).toBe(true);
    }
  });

  it("barabasi-albert attaches preferentially: early nodes end up as hubs", () => {
    const graph = build({ type: "barabasi-albert", m: 2 }, 300);
    const early = [0, 1, 2].map((i) => graph.degree(`agent-${i}`));
    const late = [297, 298, 299].map((i) => graph.degree(`agent-${i}`));
    expect(Math.min(...early)).toBeGreaterThan(Math.max(...late));
  });

  it("sbm with p=1 inside blocks and 0 across gives disjoint cliques", () => {
    const graph = build(
      {
        type: "sbm",
        sizes: [3, 4, 5],
        p: [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      },
      12,
    );
    expect(graph.size).toBe(3 + 6 + 10);
    const block = (node: string) => graph.getNodeAttribute(node, "block") as number;
    expect(graph.nodes().map(block)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(
      graph.edges().every((edge) => block(graph.source(edge)) === block(graph.target(edge))),
    ).toBe(true);
    expect(graphStats(graph).connected).toBe(false);
  });

  it("directed sbm draws both directions, and the matrix need not be symmetric", () => {
    const graph = build(
      {
        type: "sbm",
        sizes: [2, 3],
        p: [
          [1, 1],
          [0, 0],
        ],
        directed: true,
      },
      5,
    );
    // Block 0 links to everyone (2*1 inside + 2*3 out), block 1 to no one.
    expect(graph.size).toBe(8);
    expect(graph.hasEdge("agent-0", "agent-4")).toBe(true);
    expect(graph.hasEdge("agent-4", "agent-0")).toBe(false);
  });

  it("same seed gives an identical export; another seed a different graph", () => {
    const configs: GraphConfigInput[] = [
      { type: "erdos-renyi", p: 0.3 },
      { type: "erdos-renyi", p: 0.3, directed: true },
      { type: "watts-strogatz", k: 4, beta: 0.3 },
      { type: "barabasi-albert", m: 2 },
      {
        type: "sbm",
        sizes: [10, 10],
        p: [
          [0.5, 0.1],
          [0.1, 0.5],
        ],
      },
    ];
    for (const config of configs) {
      const first = build(config, 20, 11).export();
      expect(build(config, 20, 11).export()).toEqual(first);
      expect(build(config, 20, 12).export()).not.toEqual(first);
    }
  });

  it("edge keys are derived from the endpoints", () => {
    const graph = build({ type: "barabasi-albert", m: 2 }, 10);
    expect(
      graph.edges().every((edge) => edge === `${graph.source(edge)}--${graph.target(edge)}`),
    ).toBe(true);
    const directed = build({ type: "erdos-renyi", p: 0.5, directed: true }, 10);
    expect(
      directed
        .edges()
        .every((edge) => edge === `${directed.source(edge)}->${directed.target(edge)}`),
    ).toBe(true);
  });
});

describe("parameter errors", () => {
  const cases: [string, unknown, number, string, unknown][] = [
    ["k odd", { type: "watts-strogatz", k: 3, beta: 0.1 }, 10, "graph.k", 3],
    ["k >= n", { type: "watts-strogatz", k: 10, beta: 0.1 }, 10, "graph.k", 10],
    ["beta > 1", { type: "watts-strogatz", k: 2, beta: 1.5 }, 10, "graph.beta", 1.5],
    ["m >= n", { type: "barabasi-albert", m: 5 }, 5, "graph.m", 5],
    ["m < 1", { type: "barabasi-albert", m: 0 }, 5, "graph.m", 0],
    ["p < 0", { type: "erdos-renyi", p: -0.1 }, 5, "graph.p", -0.1],
    ["rows*cols != n", { type: "grid", rows: 3, cols: 3 }, 10, "graph.rows", 3],
    ["torus too thin", { type: "torus", rows: 2, cols: 5 }, 10, "graph.rows", 2],
    [
      "cliques*size != n",
      { type: "connected-caveman", cliques: 3, size: 3 },
      10,
      "graph.cliques",
      3,
    ],
    [
      "sizes not summing to n",
      {
        type: "sbm",
        sizes: [3, 3],
        p: [
          [1, 0],
          [0, 1],
        ],
      },
      10,
      "graph.sizes",
      [3, 3],
    ],
    ["matrix rows missing", { type: "sbm", sizes: [5, 5], p: [[1, 0]] }, 10, "graph.p", [[1, 0]]],
    [
      "matrix row too short",
      { type: "sbm", sizes: [5, 5], p: [[1, 0], [0]] },
      10,
      "graph.p.1",
      [0],
    ],
    [
      "asymmetric undirected matrix",
      {
        type: "sbm",
        sizes: [5, 5],
        p: [
          [1, 0.2],
          [0.3, 1],
        ],
      },
      10,
      "graph.p.0.1",
      0.2,
    ],
    [
      "probability in matrix > 1",
      {
        type: "sbm",
        sizes: [5, 5],
        p: [
          [1, 0],
          [0, 2],
        ],
      },
      10,
      "graph.p.1.1",
      2,
    ],
    ["star center out of range", { type: "star", center: 5 }, 5, "graph.center", 5],
    ["cycle too small", { type: "cycle" }, 2, "graph.type", "cycle"],
    ["empty population", { type: "complete" }, 0, "graph.type", "complete"],
    ["unknown type", { type: "hexagonal" }, 5, "graph.type", "hexagonal"],
    ["unknown option", { type: "cycle", k: 2 }, 5, "graph.k", 2],
    ["wrong value type", { type: "chain", directed: "yes" }, 5, "graph.directed", "yes"],
  ];
  it.each(cases)("%s", (_name, config, n, path, value) => {
    const error = configError(() => build(config as GraphConfigInput, n));
    expect(error.path).toBe(path);
    expect(error.value).toEqual(value);
    expect(error.message).toContain(path);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it("prefixes error paths with opts.path", () => {
    const error = configError(() =>
      buildGraph({ type: "watts-strogatz", k: 3, beta: 0 }, agents(10), new Rng(1), {
        path: "scenario.network",
      }),
    );
    expect(error.path).toBe("scenario.network.k");
  });
});

describe("graphStats", () => {
  it("complete graph: density 1, clustering 1, path length 1", () => {
    expect(graphStats(build(undefined, 6))).toEqual({
      nodes: 6,
      edges: 15,
      directed: false,
      density: 1,
      meanDegree: 5,
      clustering: 1,
      averagePathLength: 1,
      connected: true,
    });
  });

  it("cycle of 6: clustering 0, average path length 1.8", () => {
    const stats = graphStats(build({ type: "cycle" }, 6));
    expect(stats.clustering).toBe(0);
    expect(stats.averagePathLength).toBeCloseTo(1.8, 12);
    expect(stats.meanDegree).toBe(2);
    expect(stats.density).toBeCloseTo(0.4, 12);
  });

  it("star of 5: path length 1.6 (8 center pairs at 1, 12 leaf pairs at 2)", () => {
    const stats = graphStats(build({ type: "star" }, 5));
    expect(stats.averagePathLength).toBeCloseTo(1.6, 12);
    expect(stats.clustering).toBe(0);
    expect(stats.meanDegree).toBeCloseTo(1.6, 12);
    expect(stats.connected).toBe(true);
  });

  it("directed chain: mean out-degree E/n, paths only along the direction", () => {
    const stats = graphStats(build({ type: "chain" }, 4));
    expect(stats.directed).toBe(true);
    expect(stats.meanDegree).toBe(3 / 4);
    expect(stats.density).toBe(3 / 12);
    expect(stats.averagePathLength).toBeCloseTo((1 + 2 + 3 + 1 + 2 + 1) / 6, 12);
    expect(stats.connected).toBe(true);
  });

  it("triangle with a tail: clustering (1/3 + 1 + 1 + 0) / 4", () => {
    const graph = new Graph({ type: "undirected" });
    for (const [a, b] of [
      ["a", "b"],
      ["b", "c"],
      ["c", "a"],
      ["a", "d"],
    ] as const)
      graph.mergeEdge(a, b);
    expect(graphStats(graph).clustering).toBeCloseTo(7 / 12, 12);
  });

  it("clustering ignores directions; unreachable pairs are left out of the path length", () => {
    const graph = new Graph({ type: "directed" });
    for (const [a, b] of [
      ["a", "b"],
      ["b", "c"],
      ["a", "c"],
    ] as const)
      graph.mergeEdge(a, b);
    graph.addNode("d");
    const stats = graphStats(graph);
    expect(stats.clustering).toBeCloseTo(3 / 4, 12);
    expect(stats.averagePathLength).toBe(1); // a->b, b->c, a->c
    expect(stats.connected).toBe(false);
  });

  it("single node and edgeless graphs have no path length", () => {
    expect(graphStats(build(undefined, 1))).toMatchObject({
      density: 0,
      meanDegree: 0,
      averagePathLength: null,
      connected: true,
    });
    expect(graphStats(build({ type: "erdos-renyi", p: 0 }, 4))).toMatchObject({
      averagePathLength: null,
      connected: false,
    });
  });
});

describe("areAdjacent", () => {
  it("sees directed edges from either end", () => {
    const graph = build({ type: "chain" }, 3);
    expect(areAdjacent(graph, "agent-0", "agent-1")).toBe(true);
    expect(areAdjacent(graph, "agent-1", "agent-0")).toBe(true);
    expect(areAdjacent(graph, "agent-0", "agent-2")).toBe(false);
    expect(areAdjacent(graph, "agent-0", "agent-0")).toBe(false);
  });
});

describe("file graphs", () => {
  it("graphology JSON: nodes in file order, original key as label, weights kept", () => {
    const graph = load("triangle-tail.json", 4);
    expect(graph.type).toBe("undirected");
    expect(graph.nodes()).toEqual(agents(4));
    expect(graph.mapNodes((node) => graph.getNodeAttribute(node, "label"))).toEqual([
      "x",
      "y",
      "z",
      "w",
    ]);
    expect(graph.getNodeAttribute("agent-3", "role")).toBe("tail");
    expect(graph.size).toBe(4);
    expect(graph.getEdgeAttribute("agent-0--agent-1", "weight")).toBe(2);
    expect(graph.getEdgeAttribute("agent-0--agent-3", "weight")).toBe(0.5);
    expect(graph.hasEdgeAttribute("agent-1--agent-2", "weight")).toBe(false);
  });

  it("GEXF: directed edges and weights; the node id becomes the label", () => {
    const graph = load("path3.gexf", 3);
    expect(graph.type).toBe("directed");
    expect(graph.edges()).toEqual(["agent-0->agent-1", "agent-1->agent-2"]);
    expect(graph.getEdgeAttribute("agent-0->agent-1", "weight")).toBe(3);
    expect(graph.getNodeAttribute("agent-0", "label")).toBe("n10");
  });

  it("edge list: order of first appearance, comments, weights, isolated nodes", () => {
    const graph = load("friends.txt", 5);
    expect(graph.type).toBe("undirected");
    expect(graph.mapNodes((node) => graph.getNodeAttribute(node, "label"))).toEqual([
      "carol",
      "dave",
      "alice",
      "bob",
      "eve",
    ]);
    expect(graph.edges()).toEqual([
      "agent-0--agent-1",
      "agent-2--agent-3",
      "agent-3--agent-0",
      "agent-1--agent-2",
    ]);
    expect(graph.getEdgeAttribute("agent-0--agent-1", "weight")).toBe(2);
    expect(graph.getEdgeAttribute("agent-3--agent-0", "weight")).toBe(0.5);
    expect(graph.degree("agent-4")).toBe(0);
  });

  it("edge list as CSV, and directed on request", () => {
    const csv = load("triangle.csv", 3);
    expect(csv.size).toBe(3);
    expect(csv.getEdgeAttribute("agent-0--agent-1", "weight")).toBe(1.5);
    const directed = load("friends.txt", 5, { directed: true });
    expect(directed.type).toBe("directed");
    expect(directed.hasEdge("agent-0", "agent-1")).toBe(true);
    expect(directed.hasEdge("agent-1", "agent-0")).toBe(false);
  });

  it("repeated undirected edges merge; an explicit format overrides the extension", () => {
    expect(load("repeated.edges", 3).size).toBe(2);
    expect(load("repeated.edges", 3, { format: "edgelist" }).size).toBe(2);
    // Read as a directed list the two lines are distinct edges.
    expect(load("repeated.edges", 3, { directed: true }).size).toBe(3);
  });

  it("same file, same export", () => {
    expect(load("friends.txt", 5).export()).toEqual(load("friends.txt", 5).export());
  });

  const failures: [string, string, number, object, RegExp][] = [
    [
      "node count differs from the population",
      "triangle-tail.json",
      5,
      {},
      /population \(5\); the file has 4/,
    ],
    ["missing file", "nowhere.json", 4, {}, /readable file/],
    ["unknown extension", "friends.dat", 5, {}, /explicit format/],
    ["truncated JSON", "truncated.json", 1, {}, /valid json graph file \(.+\)/],
    ["malformed GEXF", "malformed.gexf", 1, {}, /valid gexf graph file \(.+\)/],
    ["JSON read as GEXF", "triangle-tail.json", 4, { format: "gexf" }, /valid gexf graph file/],
    ["too many columns", "too-many-columns.txt", 3, {}, /line 2/],
    ["self-loop", "self-loop.txt", 2, {}, /self-loops \(found b -- b\)/],
    ["conflicting weights", "conflicting-weights.txt", 2, {}, /weights 1 and 2/],
  ];
  it.each(failures)("%s: ConfigError on graph.path", (_name, path, n, extra, message) => {
    const error = configError(() => load(path, n, extra));
    expect(error.path).toBe("graph.path");
    expect(error.value).toBe(path);
    expect(error.message).toMatch(message);
  });

  it("rejects a directed flag on self-describing formats", () => {
    const error = configError(() => load("path3.gexf", 3, { directed: true }));
    expect(error.path).toBe("graph.directed");
  });
});
