/**
 * schedule: graph: each round a seeded random maximal matching over the graph's edges. Checked on
 * the function (pairs adjacent, nobody twice a round, roles balanced, directed tails donate,
 * seeded) and through the engine (a sparse graph plays about n/2 pairs a round where `code` skips
 * most, isolated agents are counted and never scheduled).
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  buildGraph,
  CompleteGraph,
  ExplicitGraph,
  Graph,
  type SocialGraph,
} from "../../../sim/core/graph/index.js";
import { Rng } from "../../../sim/core/rng.js";
import { graphSchedule, isolatedAgents, type Pairing } from "../schedule.js";
import { interactions, runDonor, scratch } from "../../../tests/support/donor-helpers.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);
/** Agents on their own nodes, in a given order (the scenario passes its shuffled order). */
const placed = (nodes: readonly string[]) => nodes.map((id) => ({ id, slot: id }));
const streams =
  (seed: number) =>
  (round: number): Rng =>
    new Rng(seed, ["pairing", 1, "round", round]);

function explicit(type: "undirected" | "directed" | "mixed", edges: [string, string][], n: number) {
  const graph = new Graph({ type, multi: false, allowSelfLoops: true });
  for (const id of ids(n)) graph.addNode(id);
  for (const [a, b] of edges) graph.addEdge(a, b);
  return new ExplicitGraph(graph);
}

/** Every edge of `graph` both of whose ends are free in `round`: a maximal matching has none. */
function freeEdges(graph: SocialGraph, round: readonly Pairing[]): [string, string][] {
  const busy = new Set(round.flat());
  return graph
    .nodes()
    .flatMap((a) => graph.neighbors(a).map((b): [string, string] => [a, b]))
    .filter(([a, b]) => a !== b && !busy.has(a) && !busy.has(b));
}

function checkRounds(graph: SocialGraph, rounds: readonly Pairing[][]) {
  for (const round of rounds) {
    for (const [donor, recipient] of round) {
      expect(donor).not.toBe(recipient);
      expect(graph.hasEdge(donor, recipient) || graph.hasEdge(recipient, donor)).toBe(true);
    }
    const agents = round.flat();
    expect(new Set(agents).size, "an agent twice in a round").toBe(agents.length);
    expect(freeEdges(graph, round), "matching not maximal").toEqual([]);
  }
}

describe("graphSchedule", () => {
  const nodes = ids(20);
  const regular = new ExplicitGraph(
    buildGraph({ type: "watts-strogatz", k: 4, beta: 0 }, nodes, new Rng(5)),
  );

  it("pairs only neighbours, nobody twice a round, and leaves no edge with two free ends", () => {
    const rounds = graphSchedule(regular, placed(nodes), 200, streams(1));
    expect(rounds).toHaveLength(200);
    checkRounds(regular, rounds);
    // A ring lattice of degree 4 has a perfect matching; a random greedy one comes near it.
    const pairs = rounds.map((r) => r.length);
    expect(Math.min(...pairs)).toBeGreaterThanOrEqual(7);
    expect(pairs.reduce((a, b) => a + b, 0) / pairs.length).toBeGreaterThan(8);
  });

  it("balances roles: over many rounds each agent gives about as often as it receives", () => {
    const rounds = graphSchedule(regular, placed(nodes), 2000, streams(2));
    const gave = new Map<string, number>();
    const got = new Map<string, number>();
    for (const [d, r] of rounds.flat()) {
      gave.set(d, (gave.get(d) ?? 0) + 1);
      got.set(r, (got.get(r) ?? 0) + 1);
    }
    for (const id of nodes) {
      const g = gave.get(id) ?? 0;
      const r = got.get(id) ?? 0;
      // About 1,800 games each; a fair coin's share of them lies well within 10 %.
      expect(g + r).toBeGreaterThan(1500);
      expect(Math.abs(g - r) / (g + r)).toBeLessThan(0.1);
    }
  });

  it("pairs partners beyond a fixed rotation: every edge of the graph is played", () => {
    const rounds = graphSchedule(regular, placed(nodes), 400, streams(3));
    const played = new Set(rounds.flat().map(([d, r]) => [d, r].sort().join("-")));
    const edges = new Set(
      nodes.flatMap((a) => regular.neighbors(a).map((b) => [a, b].sort().join("-"))),
    );
    expect(played).toEqual(edges);
  });

  it("a directed edge's tail always donates", () => {
    // A directed cycle plus chords: every edge points one way.
    const edges: [string, string][] = ids(10).map((id, i) => [id, `n${(i + 1) % 10}`]);
    edges.push(["n0", "n5"], ["n7", "n2"]);
    const graph = explicit("directed", edges, 10);
    const rounds = graphSchedule(graph, placed(ids(10)), 300, streams(4));
    checkRounds(graph, rounds);
    for (const [donor, recipient] of rounds.flat())
      expect(graph.hasEdge(donor, recipient)).toBe(true);
    // Both directions of a mixed graph's undirected edge are played; its directed edge one way.
    const mixed = new Graph({ type: "mixed" });
    for (const id of ids(2)) mixed.addNode(id);
    mixed.addUndirectedEdge("n0", "n1");
    const both = graphSchedule(new ExplicitGraph(mixed), placed(ids(2)), 100, streams(5)).flat();
    expect(new Set(both.map((p) => p.join(">")))).toEqual(new Set(["n0>n1", "n1>n0"]));
  });

  it("the complete graph: a random perfect matching each round, without listing its edges", () => {
    const complete = new CompleteGraph(nodes);
    const rounds = graphSchedule(complete, placed(nodes), 50, streams(6));
    checkRounds(complete, rounds);
    expect(rounds.every((r) => r.length === 10)).toBe(true);
    expect(new Set(rounds.map((r) => JSON.stringify(r))).size).toBe(50);
    // An odd population leaves one agent out of each round.
    const odd = graphSchedule(new CompleteGraph(ids(7)), placed(ids(7)), 5, streams(6));
    expect(odd.every((r) => r.length === 3)).toBe(true);
  });

  it("is reproducible from its streams, and differs with another seed", () => {
    const a = graphSchedule(regular, placed(nodes), 12, streams(7));
    expect(graphSchedule(regular, placed(nodes), 12, streams(7))).toEqual(a);
    expect(graphSchedule(regular, placed(nodes), 12, streams(8))).not.toEqual(a);
  });

  it("never schedules an agent with no neighbour, and isolatedAgents names it", () => {
    // n3 only has a self-loop, n4 nothing.
    const graph = explicit(
      "undirected",
      [
        ["n0", "n1"],
        ["n1", "n2"],
        ["n3", "n3"],
      ],
      5,
    );
    const rounds = graphSchedule(graph, placed(ids(5)), 30, streams(9));
    checkRounds(graph, rounds);
    const scheduled = new Set(rounds.flat(2));
    expect(scheduled).toEqual(new Set(["n0", "n1", "n2"]));
    expect(isolatedAgents(graph, placed(ids(5)))).toEqual(["n3", "n4"]);
    expect(isolatedAgents(new CompleteGraph(ids(5)), placed(ids(5)))).toEqual([]);
    expect(isolatedAgents(new CompleteGraph(["n0"]), placed(["n0"]))).toEqual(["n0"]);
  });

  it("maps agents to graph nodes through their slots", () => {
    const graph = explicit("undirected", [["n0", "n1"]], 3);
    const agents = [
      { id: "a", slot: "n2" },
      { id: "b", slot: "n1" },
      { id: "c", slot: "n0" },
    ];
    const rounds = graphSchedule(graph, agents, 20, streams(10));
    expect(new Set(rounds.flat().map((p) => [...p].sort().join()))).toEqual(new Set(["b,c"]));
    expect(isolatedAgents(graph, agents)).toEqual(["a"]);
  });
});

describe("schedule: graph in a run", () => {
  const dir = scratch("agora-donor-graph-");
  afterAll(() => dir.cleanup());
  const minds = [
    { count: 8, policy: "constant", fraction: 0.5 },
    { count: 8, policy: "tit-for-tat" },
  ];
  const sparse = { type: "random-regular", k: 3 };

  it("on a sparse graph plays about n/2 adjacent pairs a round where `code` skips most", async () => {
    const graph = await runDonor(dir.root, {
      minds,
      graph: sparse,
      donorGame: { schedule: "graph", rounds: 10 },
    });
    const code = await runDonor(dir.root, {
      minds,
      graph: sparse,
      donorGame: { schedule: "code", rounds: 10 },
    });
    const perRound = (events: typeof graph.events) => {
      const counts = new Map<string, number>();
      for (const d of interactions(events)) {
        const key = `${d.game}/${d.round}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts.values()];
    };
    const played = perRound(graph.events);
    expect(played).toHaveLength(20);
    expect(Math.min(...played)).toBeGreaterThanOrEqual(6);
    expect(graph.metrics[0]).toMatchObject({ pairsSkipped: 0, isolatedAgents: 0 });
    // The code schedule pairs across the graph: 3 of each agent's 15 possible partners are linked.
    const codePlayed = interactions(code.events).length;
    expect(codePlayed).toBeLessThan(played.reduce((a, b) => a + b, 0) / 2);
    expect(code.metrics[0]!.pairsSkipped).toBe(2 * 10 * 8 - codePlayed);
    // Every pair played is linked (slots, as the run recorded the graph), and a round's pairs
    // share no agent.
    const started = graph.events[0] as {
      type: string;
      graph: { nodes: string[]; edges: number[] };
    };
    expect(started.type).toBe("run-started");
    const { nodes: slots, edges } = started.graph;
    const linked = new Set<string>();
    for (let i = 0; i < edges.length; i += 2) {
      linked.add(`${slots[edges[i]!]}|${slots[edges[i + 1]!]}`);
      linked.add(`${slots[edges[i + 1]!]}|${slots[edges[i]!]}`);
    }
    const slotOf = new Map(graph.agents.map((a) => [a.agentId, a.slot]));
    const acts = interactions(graph.events);
    for (const d of acts) {
      expect(linked.has(`${slotOf.get(d.from)}|${slotOf.get(d.to)}`)).toBe(true);
      const round = acts.filter((o) => o.game === d.game && o.round === d.round);
      expect(round.filter((o) => [o.from, o.to].includes(d.from))).toHaveLength(1);
      expect(round.filter((o) => [o.from, o.to].includes(d.to))).toHaveLength(1);
    }
  }, 60_000);

  it("counts isolated agents, never schedules them, and plays an odd population", async () => {
    // Seven places: a triangle 0-1-2, an edge 3-4, and 5 and 6 with no edge.
    const n = 7;
    const matrix = Array.from({ length: n }, () => Array.from({ length: n }, () => 0));
    const links: [number, number][] = [
      [0, 1],
      [1, 2],
      [0, 2],
      [3, 4],
    ];
    for (const [a, b] of links) matrix[a]![b] = matrix[b]![a] = 1;
    const run = await runDonor(dir.root, {
      minds: [{ count: n, policy: "constant", fraction: 0.5 }],
      graph: { type: "adjacency", matrix },
      generations: 2,
      donorGame: { schedule: "graph", rounds: 6 },
    });
    expect(run.metrics.map((m) => m.isolatedAgents)).toEqual([2, 2]);
    expect(run.metrics.map((m) => m.pairsSkipped)).toEqual([0, 0]);
    for (const generation of [1, 2]) {
      const rows = run.agents.filter((a) => a.generation === generation);
      // Matrix rows 5 and 6 are the places of the first generation's agents 6 and 7.
      const lonely = new Set(
        rows.filter((a) => a.slot === "g1-a6" || a.slot === "g1-a7").map((a) => a.agentId),
      );
      expect(lonely.size).toBe(2);
      const acts = interactions(run.events).filter((d) => d.generation === generation);
      // Two pairs a round (the triangle gives one, the edge one), both games.
      expect(acts).toHaveLength(2 * 6 * 2);
      for (const d of acts) {
        expect(lonely.has(d.from)).toBe(false);
        expect(lonely.has(d.to)).toBe(false);
      }
    }
  }, 60_000);

  it("same config and seed: the same pairs; another seed: others", async () => {
    const spec = { minds, graph: sparse, donorGame: { schedule: "graph", rounds: 4 } };
    const pairs = (run: Awaited<ReturnType<typeof runDonor>>) =>
      interactions(run.events).map((d) => `${d.game}/${d.round}:${d.from}>${d.to}`);
    const a = await runDonor(dir.root, spec);
    const b = await runDonor(dir.root, spec);
    const c = await runDonor(dir.root, spec, { seedOverride: 2 });
    expect(pairs(b)).toEqual(pairs(a));
    expect(b.metrics).toEqual(a.metrics);
    expect(pairs(c)).not.toEqual(pairs(a));
  }, 60_000);

  it("an odd population is an error for the code schedule only", async () => {
    const five = [{ count: 5, policy: "defect" }];
    await expect(
      runDonor(dir.root, { minds: five, donorGame: { schedule: "code" } }),
    ).rejects.toThrow(/population\.size: got 5, expected an even number/);
    const run = await runDonor(dir.root, {
      minds: five,
      donorGame: { schedule: "graph", rounds: 3 },
    });
    // The complete graph: two pairs a round, a different agent left out as the shuffle falls.
    expect(interactions(run.events)).toHaveLength(2 * 3 * 2);
  }, 60_000);
});
