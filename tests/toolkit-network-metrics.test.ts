/**
 * The toolkit's network metrics (sim/toolkit/network-metrics.ts): values worked out by hand on
 * small graphs (a path, a star, two triangles, a directed chain), assortment against networkx's
 * numeric_assortativity_coefficient where the machine has it, and the implicit complete graph's
 * closed forms against the same complete graph spelled out edge by edge.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CompleteGraph, ExplicitGraph, Graph, type SocialGraph } from "../sim/core/graph/index.js";
import { Rng } from "../sim/core/rng.js";
import {
  assortment,
  clusters,
  distancesFrom,
  HopDistances,
  pearson,
  valueByDegree,
} from "../sim/index.js";

type Edge = [string, string];

function graphOf(
  edges: readonly Edge[],
  options: { type?: "directed" | "undirected"; nodes?: string[]; multi?: boolean } = {},
): SocialGraph {
  const g = new Graph({
    type: options.type ?? "undirected",
    multi: options.multi ?? false,
    allowSelfLoops: true,
  });
  for (const node of options.nodes ?? []) g.mergeNode(node);
  for (const [a, b] of edges) {
    g.mergeNode(a);
    g.mergeNode(b);
    g.addEdge(a, b);
  }
  return new ExplicitGraph(g);
}

const values = (entries: Record<string, number | null>) => (node: string) => entries[node];

// a - b - c - d
const PATH = graphOf([
  ["a", "b"],
  ["b", "c"],
  ["c", "d"],
]);
// c at the centre, leaves l1..l3.
const STAR = graphOf([
  ["c", "l1"],
  ["c", "l2"],
  ["c", "l3"],
]);
const TRIANGLES: Edge[] = [
  ["a1", "a2"],
  ["a2", "a3"],
  ["a3", "a1"],
  ["b1", "b2"],
  ["b2", "b3"],
  ["b3", "b1"],
];
const BRIDGED = graphOf([...TRIANGLES, ["a1", "b1"]]);
// a -> b -> c -> d
const CHAIN = graphOf(
  [
    ["a", "b"],
    ["b", "c"],
    ["c", "d"],
  ],
  { type: "directed" },
);

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);

/** The complete graph on `nodes`, edges stored one by one. */
function spelledOut(nodes: readonly string[]): SocialGraph {
  const edges: Edge[] = [];
  nodes.forEach((a, i) => nodes.slice(i + 1).forEach((b) => edges.push([a, b])));
  return graphOf(edges, { nodes: [...nodes] });
}

describe("pearson", () => {
  it("is the correlation coefficient, null without two points or without variation", () => {
    // Means 2.5 and 2.5; deviations (-1.5, -0.5, 0.5, 1.5) and (-1.5, 0.5, -0.5, 1.5): 4 / 5.
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 14);
    expect(pearson([1, 2, 3], [6, 4, 2])).toBeCloseTo(-1, 14);
    expect(pearson(Float64Array.from([1, 2, 3]), [2, 4, 6])).toBeCloseTo(1, 14);
    expect(pearson([1], [2])).toBeNull();
    expect(pearson([], [])).toBeNull();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(pearson([7, 7], [1, 2])).toBeNull();
    expect(() => pearson([1, 2], [1])).toThrow("pearson: 2 x values but 1 y values");
  });
});

describe("valueByDegree", () => {
  it("gives each degree's count and mean and the degree-value correlation, valued nodes only", () => {
    const byDegree = valueByDegree(STAR, values({ c: 1, l1: 0, l2: 0, l3: 0.5 }));
    expect(byDegree.byDegree).toEqual([
      { degree: 1, count: 3, mean: 0.5 / 3 },
      { degree: 3, count: 1, mean: 1 },
    ]);
    // Degrees (3, 1, 1, 1), mean 1.5; values (1, 0, 0, 0.5), mean 0.375: Sxy = 1.25, Sxx = 3,
    // Syy = 0.6875.
    expect(byDegree.correlation).toBeCloseTo(1.25 / Math.sqrt(3 * 0.6875), 14);

    // l3 without a value: left out of both.
    const partial = valueByDegree(
      STAR,
      new Map([
        ["c", 1],
        ["l1", 0],
        ["l2", 1],
      ]),
    );
    expect(partial.byDegree).toEqual([
      { degree: 1, count: 2, mean: 0.5 },
      { degree: 3, count: 1, mean: 1 },
    ]);
    // Degrees (3, 1, 1), values (1, 0, 1): Sxy = 2/3, Sxx = 8/3, Syy = 2/3.
    expect(partial.correlation).toBeCloseTo(2 / 3 / Math.sqrt((8 / 3) * (2 / 3)), 14);
  });

  it("counts in- and out-edges on a directed graph; one degree class has no correlation", () => {
    // a: out 1; b, c: in 1 + out 1; d: in 1.
    expect(valueByDegree(CHAIN, values({ a: 1, b: 2, c: 4, d: 3 }))).toEqual({
      byDegree: [
        { degree: 1, count: 2, mean: 2 },
        { degree: 2, count: 2, mean: 3 },
      ],
      correlation: pearson([1, 2, 2, 1], [1, 2, 4, 3]),
    });
    const complete = valueByDegree(new CompleteGraph(ids(5)), (n) => Number(n.slice(1)));
    expect(complete).toEqual({ byDegree: [{ degree: 4, count: 5, mean: 2 }], correlation: null });
  });

  it("refuses a value that is not a number rather than leaving the node out", () => {
    expect(() => valueByDegree(STAR, values({ c: Number.NaN }))).toThrow(
      'network metrics: node "c" has the value NaN',
    );
  });
});

describe("assortment", () => {
  it("correlates the values at both ends of every undirected edge, both orders", () => {
    // Pairs (0,1) (1,0) (1,2) (2,1) (2,3) (3,2): mean 1.5, Sxy = 2.5, Sxx = 5.5.
    expect(assortment(PATH, values({ a: 0, b: 1, c: 2, d: 3 }))).toBeCloseTo(5 / 11, 14);
    // Pairs (0,2) (2,0) (2,1) (1,2) (1,3) (3,1): Sxy = -3.5, Sxx = 5.5.
    expect(assortment(PATH, values({ a: 0, b: 2, c: 1, d: 3 }))).toBeCloseTo(-7 / 11, 14);
    // Two triangles of 1s and 0s joined by a bridge: 12 like pairs, 2 unlike, deviations ±0.5.
    const split = values({ a1: 1, a2: 1, a3: 1, b1: 0, b2: 0, b3: 0 });
    expect(assortment(BRIDGED, split)).toBeCloseTo((12 - 2) / 14, 14);
    expect(assortment(graphOf(TRIANGLES), split)).toBeCloseTo(1, 14);
    // A star: the centre's value against the leaves'.
    expect(assortment(STAR, values({ c: 1, l1: 0, l2: 0, l3: 0 }))).toBeCloseTo(-1, 14);
  });

  it("takes a directed edge once, source against target", () => {
    // Pairs (0,2) (2,1) (1,3): x mean 1, y mean 2, Sxy = -1, Sxx = Syy = 2.
    expect(assortment(CHAIN, values({ a: 0, b: 2, c: 1, d: 3 }))).toBeCloseTo(-0.5, 14);
  });

  it("leaves out edges with an end without a value; null without two pairs or variation", () => {
    // b without a value: only c - d is left, two pairs (2,3) and (3,2).
    expect(assortment(PATH, values({ a: 0, b: null, c: 2, d: 3 }))).toBeCloseTo(-1, 14);
    expect(assortment(PATH, values({ a: 0, b: null, c: null, d: 3 }))).toBeNull();
    expect(assortment(CHAIN, values({ a: 0, b: 2, c: null, d: null }))).toBeNull();
    expect(assortment(PATH, values({ a: 1, b: 1, c: 1, d: 1 }))).toBeNull();
  });

  it("on the implicit complete graph equals the enumeration of its edges: -1 / (k - 1)", () => {
    const rng = new Rng(12, ["complete-assortment"]);
    for (const n of [2, 3, 7, 20]) {
      const nodes = ids(n);
      const drawn = new Map(nodes.map((node) => [node, rng.int(0, 10) / 10]));
      // Ensure variation even on two nodes.
      drawn.set("n0", 2);
      const implicit = assortment(new CompleteGraph(nodes), drawn);
      const enumerated = assortment(spelledOut(nodes), drawn);
      expect(enumerated).not.toBeNull();
      expect(implicit).toBeCloseTo(enumerated!, 12);
      expect(implicit).toBe(-1 / (n - 1));
    }
    // Nodes without a value are left out: k counts the valued ones.
    const nodes = ids(6);
    const some = values({ n0: 1, n2: 0, n3: 0.5, n5: 0.25 });
    expect(assortment(new CompleteGraph(nodes), some)).toBe(-1 / 3);
    expect(assortment(spelledOut(nodes), some)).toBeCloseTo(-1 / 3, 12);
    const constant = () => 0.5;
    expect(assortment(new CompleteGraph(nodes), constant)).toBeNull();
    expect(assortment(spelledOut(nodes), constant)).toBeNull();
    expect(assortment(new CompleteGraph(nodes), values({ n1: 1 }))).toBeNull();
  });

  const hasNetworkx =
    spawnSync("/usr/bin/python3", ["-c", "import networkx"], { stdio: "ignore" }).status === 0;

  it.runIf(hasNetworkx || process.env.CI)(
    "agrees with networkx's numeric_assortativity_coefficient, parallel edges and self-loops included",
    () => {
      if (!hasNetworkx)
        throw new Error("python3-networkx is required under CI (.ci/run installs it)");
      const rng = new Rng(3, ["networkx-assortment"]);
      const cases = (["undirected", "directed"] as const).map((type) => {
        const nodes = ids(30);
        const edges: Edge[] = [];
        for (let i = 0; i < 90; i++) edges.push([rng.pick(nodes), rng.pick(nodes)]);
        // A parallel edge and a self-loop for sure.
        edges.push(["n1", "n2"], ["n1", "n2"], ["n3", "n3"]);
        const value = Object.fromEntries(nodes.map((n) => [n, rng.int(0, 20) / 4]));
        return { type, nodes, edges, value };
      });
      const script = `
import json, sys, networkx as nx
out = []
for case in json.loads(sys.argv[1]):
    g = nx.MultiDiGraph() if case["type"] == "directed" else nx.MultiGraph()
    g.add_nodes_from((n, {"v": case["value"][n]}) for n in case["nodes"])
    g.add_edges_from(case["edges"])
    out.append(nx.numeric_assortativity_coefficient(g, "v"))
print(json.dumps(out))
`;
      const expected = JSON.parse(
        execFileSync("/usr/bin/python3", ["-c", script, JSON.stringify(cases)], {
          encoding: "utf8",
        }),
      ) as number[];
      cases.forEach((c, i) => {
        const graph = graphOf(c.edges, { type: c.type, nodes: c.nodes, multi: true });
        expect(assortment(graph, values(c.value)), c.type).toBeCloseTo(expected[i]!, 10);
      });
    },
  );
});

describe("clusters", () => {
  it("gives the sizes of the components among member nodes, largest first", () => {
    expect(clusters(BRIDGED, () => true)).toEqual([6]);
    // Without a1 the bridge is gone: {a2, a3} and {b1, b2, b3}.
    expect(clusters(BRIDGED, (n) => n !== "a1")).toEqual([3, 2]);
    // Without c the path falls apart into {a, b} and {d}.
    expect(clusters(PATH, (n) => n !== "c")).toEqual([2, 1]);
    // The star without its centre: three isolated leaves.
    expect(clusters(STAR, (n) => n !== "c")).toEqual([1, 1, 1]);
    expect(clusters(PATH, () => false)).toEqual([]);
  });

  it("ignores edge directions (weak components)", () => {
    expect(clusters(CHAIN, () => true)).toEqual([4]);
    expect(clusters(CHAIN, (n) => n !== "b")).toEqual([2, 1]);
  });

  it("on the implicit complete graph: one component of all members, as spelled out", () => {
    const nodes = ids(9);
    const member = (n: string) => Number(n.slice(1)) % 3 !== 0;
    expect(clusters(new CompleteGraph(nodes), member)).toEqual([6]);
    expect(clusters(spelledOut(nodes), member)).toEqual([6]);
    expect(clusters(new CompleteGraph(nodes), () => false)).toEqual([]);
  });
});

describe("distancesFrom", () => {
  it("gives breadth-first hop distances; unreachable nodes are absent", () => {
    expect(distancesFrom(PATH, "b")).toEqual(
      new Map([
        ["b", 0],
        ["a", 1],
        ["c", 1],
        ["d", 2],
      ]),
    );
    expect(distancesFrom(STAR, "l1")).toEqual(
      new Map([
        ["l1", 0],
        ["c", 1],
        ["l2", 2],
        ["l3", 2],
      ]),
    );
    expect(distancesFrom(graphOf(TRIANGLES), "a2")).toEqual(
      new Map([
        ["a2", 0],
        ["a1", 1],
        ["a3", 1],
      ]),
    );
    expect(distancesFrom(BRIDGED, "a2").get("b3")).toBe(3);
  });

  it("follows directed edges forward only", () => {
    expect(distancesFrom(CHAIN, "b")).toEqual(
      new Map([
        ["b", 0],
        ["c", 1],
        ["d", 2],
      ]),
    );
    expect(distancesFrom(CHAIN, "d")).toEqual(new Map([["d", 0]]));
  });

  it("on the implicit complete graph: every other node at 1, as spelled out", () => {
    const nodes = ids(6);
    const implicit = distancesFrom(new CompleteGraph(nodes), "n2");
    expect(implicit).toEqual(distancesFrom(spelledOut(nodes), "n2"));
    expect([...implicit.values()].sort()).toEqual([0, 1, 1, 1, 1, 1]);
    expect(() => distancesFrom(new CompleteGraph(nodes), "x")).toThrow(
      'distancesFrom: no node "x"',
    );
    expect(() => distancesFrom(PATH, "x")).toThrow('distancesFrom: no node "x"');
  });
});

describe("HopDistances", () => {
  it("answers many sources by node position, stopping at maxDistance", () => {
    const hops = new HopDistances(BRIDGED);
    expect(hops.nodes).toEqual(BRIDGED.nodes());
    const at = (node: string) => hops.indexOf(node)!;
    const fromA2 = hops.from("a2");
    for (const [node, d] of distancesFrom(BRIDGED, "a2")) expect(fromA2[at(node)], node).toBe(d);
    // a2 -> a1 (1) -> b1 (2) -> b2, b3 (3): cut at 2.
    const near = hops.from("a2", 2);
    expect(["a2", "a1", "a3", "b1", "b2", "b3"].map((n) => near[at(n)])).toEqual([
      0, 1, 1, 2, -1, -1,
    ]);
    expect(hops.indexOf("x")).toBeUndefined();
    expect(() => hops.from("x")).toThrow('distancesFrom: no node "x"');
    const directed = new HopDistances(CHAIN);
    expect([...directed.from("b")]).toEqual([-1, 0, 1, 2]);
    expect([...directed.from("a", 0)]).toEqual([0, -1, -1, -1]);
  });

  it("on the implicit complete graph: every other node at 1, none beyond distance 0", () => {
    const hops = new HopDistances(new CompleteGraph(ids(4)));
    expect([...hops.from("n1")]).toEqual([1, 0, 1, 1]);
    expect([...hops.from("n1", 0)]).toEqual([-1, 0, -1, -1]);
  });
});
