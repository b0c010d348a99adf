/**
 * The payoff arithmetic, checked by hand on small graphs: directly (game.ts) and through a run,
 * where the contribution events must carry the same numbers.
 */
import { DirectedGraph } from "graphology";
import { afterEach, describe, expect, it } from "vitest";
import { neighbourhoods, playRound } from "./game.js";
import { offlineConfig, ofType, run, tempDir } from "./tests/support.js";

// The path a - b - c: a and c have one neighbour (groups of 2), b has two (a group of 3).
const PATH = new Map([
  ["a", ["b"]],
  ["b", ["a", "c"]],
  ["c", ["b"]],
]);

describe("payoffs", () => {
  it("splits each contribution over the contributor's groups and shares each pot r-fold", () => {
    // Endowment 10, r = 2; a gives 6, b gives 3, c gives 0.
    // Shares paid into each group: a 6/2 = 3, b 3/3 = 1, c 0.
    // Pots: group(a) = {a, b}: 3 + 1 = 4; group(b) = {b, a, c}: 1 + 3 + 0 = 4; group(c) = {c, b}: 0
    // + 1 = 1.
    // Per member: group(a) 2·4/2 = 4; group(b) 2·4/3 = 8/3; group(c) 2·1/2 = 1.
    // a gets 4 + 8/3 = 20/3; b gets 8/3 + 4 + 1 = 23/3; c gets 1 + 8/3 = 11/3.
    const { pots, received, payoffs } = playRound(
      PATH,
      new Map([
        ["a", 6],
        ["b", 3],
        ["c", 0],
      ]),
      10,
      2,
    );
    expect([...pots]).toEqual([
      ["a", 4],
      ["b", 4],
      ["c", 1],
    ]);
    expect(received.get("a")).toBeCloseTo(20 / 3, 12);
    expect(received.get("b")).toBeCloseTo(23 / 3, 12);
    expect(received.get("c")).toBeCloseTo(11 / 3, 12);
    expect(payoffs.get("a")).toBeCloseTo(10 - 6 + 20 / 3, 12);
    expect(payoffs.get("b")).toBeCloseTo(10 - 3 + 23 / 3, 12);
    expect(payoffs.get("c")).toBeCloseTo(10 - 0 + 11 / 3, 12);
    // Nothing is lost: everyone keeps the endowment, and r times all contributions comes back.
    const total = [...payoffs.values()].reduce((x, y) => x + y, 0);
    expect(total).toBeCloseTo(3 * 10 + (2 - 1) * 9, 12);
  });

  it("gives an isolated agent r times its own contribution back, and free riders their share of others' pots", () => {
    const lone = playRound(new Map([["x", []]]), new Map([["x", 4]]), 10, 3);
    expect(lone.payoffs.get("x")).toBe(10 - 4 + 12);
    // A free rider between two full contributors on a triangle (everyone in every group).
    const triangle = new Map([
      ["a", ["b", "c"]],
      ["b", ["a", "c"]],
      ["c", ["a", "b"]],
    ]);
    const { payoffs } = playRound(
      triangle,
      new Map([
        ["a", 0],
        ["b", 9],
        ["c", 9],
      ]),
      9,
      2,
    );
    // Each pot holds 3 + 3 = 6, each member gets 2·6/3 = 4 from each of 3 groups: 12.
    expect(payoffs.get("a")).toBeCloseTo(9 + 12, 12);
    expect(payoffs.get("b")).toBeCloseTo(0 + 12, 12);
  });

  it("reads groups off the graph: neighbours either way round, no self-loops, population order", () => {
    const graph = new DirectedGraph({ allowSelfLoops: true });
    for (const node of ["s1", "s2", "s3", "s4"]) graph.addNode(node);
    graph.addEdge("s3", "s1");
    graph.addEdge("s1", "s2");
    graph.addEdge("s2", "s2");
    const agents = [
      { id: "g1-a1", slot: "s1" },
      { id: "g2-a1", slot: "s2" },
      { id: "g1-a3", slot: "s3" },
      { id: "g1-a4", slot: "s4" },
    ];
    expect(Object.fromEntries(neighbourhoods(graph, agents))).toEqual({
      "g1-a1": ["g2-a1", "g1-a3"],
      "g2-a1": ["g1-a1"],
      "g1-a3": ["g1-a1"],
      "g1-a4": [],
    });
  });
});

describe("payoffs in a run", () => {
  const dirs: (() => void)[] = [];
  afterEach(() => dirs.splice(0).forEach((cleanup) => cleanup()));

  it("records the hand-computed numbers on the contribution events", async () => {
    const tmp = tempDir("payoffs");
    dirs.push(tmp.cleanup);
    // The path g1-a1 - g1-a2 - g1-a3 as an adjacency matrix; contributions 6, 3 and 0 of 10.
    const config = offlineConfig({
      graph: {
        type: "adjacency",
        matrix: [
          [0, 1, 0],
          [1, 0, 1],
          [0, 1, 0],
        ],
      },
      population: {
        size: 3,
        minds: [
          { count: 1, policy: "always", fraction: 0.6 },
          { count: 1, policy: "always", fraction: 0.3 },
          { count: 1, policy: "free-rider" },
        ],
      },
      publicGoods: { rounds: 1, endowment: 10, multiplier: 2 },
    });
    const { status, events } = await run(config, tmp.path);
    expect(status).toBe("completed");
    const data = Object.fromEntries(ofType(events, "interaction").map((e) => [e.from, e.data]));
    expect(
      ofType(events, "interaction").every(
        (e) => e.kind === "contribution" && e.to === null && e.t.round === 1,
      ),
    ).toBe(true);
    expect(data["g1-a1"]).toMatchObject({
      amount: 6,
      fraction: 0.6,
      groups: 2,
      share: 3,
      pot: 4,
      groupPayoff: 4,
      fallback: false,
    });
    expect(data["g1-a2"]).toMatchObject({
      amount: 3,
      groups: 3,
      share: 1,
      pot: 4,
      fallback: false,
    });
    expect(data["g1-a3"]).toMatchObject({ amount: 0, groups: 2, pot: 1, groupPayoff: 1 });
    expect(data["g1-a1"]!.payoff).toBeCloseTo(32 / 3, 9);
    expect(data["g1-a2"]!.payoff).toBeCloseTo(44 / 3, 9);
    expect(data["g1-a3"]!.payoff).toBeCloseTo(41 / 3, 9);
    const ended = ofType(events, "generation-ended")[0]!;
    expect(ended.scores["g1-a2"]).toBeCloseTo(44 / 3, 9);
  });
});
