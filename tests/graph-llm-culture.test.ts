import { describe, expect, it } from "vitest";
import { ConfigError } from "../sim/core/errors.js";
import { buildGraph, type Graph, type GraphConfigInput } from "../sim/core/graph/index.js";
import { Rng } from "../sim/core/rng.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);
const build = (config: GraphConfigInput, n: number) => buildGraph(config, ids(n), new Rng(1));
/**
 * Each node's neighbours (in-neighbours when directed) as indices, in the order the graph lists
 * them.
 */
const heard = (graph: Graph) =>
  graph
    .nodes()
    .map((node) =>
      (graph.type === "directed" ? graph.inNeighbors(node) : graph.neighbors(node)).map((m) =>
        Number(m.slice(1)),
      ),
    );

describe("LLM-Culture networks (networkx semantics and neighbour order)", () => {
  it("caveman: connected_caveman_graph(2, 5) rewires (0,1)->(0,9) and (5,6)->(5,4), neighbours in networkx order", () => {
    const graph = build({ type: "llm-culture", structure: "caveman" }, 10);
    expect(graph.type).toBe("undirected");
    expect(graph.size).toBe(20);
    // networkx: adjacency insertion order after the clique combinations and the rewiring loop.
    expect(heard(graph)).toEqual([
      [2, 3, 4, 9],
      [2, 3, 4],
      [0, 1, 3, 4],
      [0, 1, 2, 4],
      [0, 1, 2, 3, 5],
      [7, 8, 9, 4],
      [7, 8, 9],
      [5, 6, 8, 9],
      [5, 6, 7, 9],
      [5, 6, 7, 8, 0],
    ]);
  });

  it("circle lists n-1 after 0's successor for node 0, and 0 last for node n-1 (cycle_graph order)", () => {
    const graph = build({ type: "llm-culture", structure: "circle" }, 5);
    expect(heard(graph)).toEqual([
      [1, 4],
      [0, 2],
      [1, 3],
      [2, 4],
      [3, 0],
    ]);
  });

  it("sequence is directed i -> i+1: each agent hears only its predecessor", () => {
    const graph = build({ type: "llm-culture", structure: "sequence" }, 4);
    expect(graph.type).toBe("directed");
    expect(heard(graph)).toEqual([[], [0], [1], [2]]);
  });

  it("fully_connected has every pair once, no self-loops, ascending order", () => {
    const graph = build({ type: "llm-culture", structure: "fully_connected" }, 4);
    expect(graph.selfLoopCount).toBe(0);
    expect(heard(graph)).toEqual([
      [1, 2, 3],
      [0, 2, 3],
      [0, 1, 3],
      [0, 1, 2],
    ]);
  });

  it("caveman needs cliques dividing the population", () => {
    expect(() => build({ type: "llm-culture", structure: "caveman", cliques: 3 }, 10)).toThrow(
      ConfigError,
    );
    expect(() => build({ type: "llm-culture", structure: "caveman", cliques: 3 }, 10)).toThrow(
      /graph\.cliques: got 3/,
    );
  });
});

describe("paths graphs (transmission chains)", () => {
  it("draws count disjoint directed paths of consecutive nodes and nothing else", () => {
    const graph = build({ type: "paths", count: 3 }, 9);
    expect(graph.type).toBe("directed");
    expect(graph.mapEdges((_e, _a, source, target) => `${source}>${target}`)).toEqual([
      "a0>a1",
      "a1>a2",
      "a3>a4",
      "a4>a5",
      "a6>a7",
      "a7>a8",
    ]);
    // Each agent hears only its predecessor; a path's first agent hears no one.
    expect(heard(graph)).toEqual([[], [0], [1], [], [3], [4], [], [6], [7]]);
  });

  it("one path is the directed chain; one node per path has no edges", () => {
    const edges = (g: Graph) => g.mapEdges((_e, _a, source, target) => `${source}>${target}`);
    expect(edges(build({ type: "paths" }, 5))).toEqual(edges(build({ type: "chain" }, 5)));
    expect(build({ type: "paths", count: 4 }, 4).size).toBe(0);
  });

  it("needs a count dividing the population", () => {
    expect(() => build({ type: "paths", count: 3 }, 10)).toThrow(
      /^graph\.count: got 3, expected a number of paths dividing the population size 10/,
    );
    expect(() => build({ type: "paths", count: 0 }, 10)).toThrow(
      /^graph\.count: got 0, expected an integer >= 1/,
    );
  });
});

describe("adjacency matrix graphs", () => {
  it("a non-symmetric matrix is directed, row -> column, with weights other than 1 kept", () => {
    const graph = build(
      {
        type: "adjacency",
        matrix: [
          [0, 1, 0],
          [0, 0, 2.5],
          [1, 0, 0],
        ],
      },
      3,
    );
    expect(graph.type).toBe("directed");
    expect(heard(graph)).toEqual([[2], [0], [1]]);
    expect(graph.getEdgeAttribute(graph.edge("a1", "a2")!, "weight")).toBe(2.5);
    expect(graph.getEdgeAttribute(graph.edge("a0", "a1")!, "weight")).toBeUndefined();
  });

  it("a symmetric matrix is undirected unless directed: true", () => {
    const m = [
      [0, 1],
      [1, 0],
    ];
    expect(build({ type: "adjacency", matrix: m }, 2).type).toBe("undirected");
    expect(build({ type: "adjacency", matrix: m, directed: true }, 2).size).toBe(2);
  });

  it("rejects a wrong shape, self-loops, negative weights and an asymmetric undirected matrix, naming the cell", () => {
    expect(() => build({ type: "adjacency", matrix: [[0, 1]] }, 2)).toThrow(
      /graph\.matrix: got "1 rows"/,
    );
    expect(() =>
      build(
        {
          type: "adjacency",
          matrix: [
            [1, 1],
            [1, 0],
          ],
        },
        2,
      ),
    ).toThrow(/graph\.matrix\.0\.0: got 1.*self-loops/);
    expect(() =>
      build(
        {
          type: "adjacency",
          matrix: [
            [0, -1],
            [1, 0],
          ],
        },
        2,
      ),
    ).toThrow(/graph\.matrix\.0\.1: got -1/);
    expect(() =>
      build(
        {
          type: "adjacency",
          matrix: [
            [0, 1],
            [0, 0],
          ],
          directed: false,
        },
        2,
      ),
    ).toThrow(/graph\.matrix\.0\.1: got 1.*symmetric/);
  });
});
