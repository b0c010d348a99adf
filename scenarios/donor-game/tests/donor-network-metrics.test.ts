/**
 * The Donor Game's network metrics and agent columns (README "Networks"): each agent's giving and
 * degree in agents.jsonl, and givingDegreeCorrelation, givingAssortment, cooperativeClusters and
 * largestCooperativeCluster in metrics.jsonl, checked against hand computations on a tiny graph.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  interactions,
  runDonor,
  scratch,
  type AgentRow,
  type DonorRun,
} from "../../../tests/support/donor-helpers.js";

const dir = scratch("agora-donor-netmetrics-");
afterAll(dir.cleanup);

type Row = AgentRow & { degree: number; giving: number | null };

/** An undirected adjacency matrix over agents g1-a1..g1-a<n> from 1-based edges. */
function matrix(n: number, edges: [number, number][]): number[][] {
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const [a, b] of edges) m[a - 1]![b - 1] = m[b - 1]![a - 1] = 1;
  return m;
}

const rows = (run: DonorRun, generation = 1) =>
  (run.agents as Row[]).filter((r) => r.generation === generation);

/** Mean fraction per donor over its answered moves, read back from the interaction events. */
function givingFromEvents(run: DonorRun, generation = 1): Map<string, number> {
  const sums = new Map<string, number[]>();
  for (const a of interactions(run.events)) {
    if (a.generation !== generation || a.data.fallback) continue;
    sums.set(a.from, [...(sums.get(a.from) ?? []), a.data.fraction]);
  }
  return new Map([...sums].map(([id, xs]) => [id, xs.reduce((x, y) => x + y, 0) / xs.length]));
}

describe("network metrics on a tiny graph", () => {
  // Agents 1-3 and 5-6 give 60 %, 4, 7 and 8 give 20 %; 9 and 10 (60 %) have no edge, so they
  // never play and have no giving. An 8-cycle with the chords 3-7 and 4-8:
  //   degrees 1:2 2:2 3:3 4:3 5:2 6:2 7:3 8:3;
  //   the givers' edges 1-2, 2-3, 5-6 make two clusters, {1,2,3} and {5,6}.
  const EDGES: [number, number][] = [
    [1, 2],
    [2, 3],
    [3, 4],
    [4, 5],
    [5, 6],
    [6, 7],
    [7, 8],
    [8, 1],
    [3, 7],
    [4, 8],
  ];
  const MINDS = [
    { count: 3, policy: "constant", fraction: 0.6 },
    { count: 1, policy: "constant", fraction: 0.2 },
    { count: 2, policy: "constant", fraction: 0.6 },
    { count: 2, policy: "constant", fraction: 0.2 },
    { count: 2, policy: "constant", fraction: 0.6 },
  ];

  it("agent rows carry degree and giving; the metrics match the hand computation", async () => {
    const run = await runDonor(dir.root, {
      seed: 2,
      minds: MINDS,
      graph: { type: "adjacency", matrix: matrix(10, EDGES) },
    });
    const byId = new Map(rows(run).map((r) => [r.agentId, r]));
    const degree = [2, 2, 3, 3, 2, 2, 3, 3, 0, 0];
    const share = [0.6, 0.6, 0.6, 0.2, 0.6, 0.6, 0.2, 0.2];
    const fromEvents = givingFromEvents(run);
    for (let i = 1; i <= 10; i++) {
      const row = byId.get(`g1-a${i}`)!;
      expect(row.degree).toBe(degree[i - 1]);
      if (i > 8) {
        expect(row.giving).toBeNull();
        continue;
      }
      // With this seed every agent with an edge has a neighbour in the other half, so it gave.
      expect(row.giving).not.toBeNull();
      expect(row.giving).toBe(fromEvents.get(row.agentId));
      expect(row.giving!).toBeCloseTo(share[i - 1]!, 6);
    }

    const m = run.metrics[0]!;
    // Giving is (up to the 12-decimal amounts) 0.2 + 0.4 c with c = 1 for a giver: the same
    // correlations as c's.
    // Degree: mean 2.5, variance 0.25; c: mean 5/8, variance 15/64; E[degree c] = 11/8, so
    // cov = 11/8 - 2.5 * 5/8 = -3/16 and r = -(3/16) / sqrt(0.25 * 15/64) = -sqrt(3/5).
    expect(m.givingDegreeCorrelation as number).toBeCloseTo(-Math.sqrt(3 / 5), 6);
    // The 20 ordered ends of the 10 edges: (C, C) 6 times, (D, D) 4, mixed 10; mean of c 11/20,
    // E[c c'] = 6/20, so cov = 0.3 - 0.3025 = -0.0025 over variance 0.55 * 0.45: r = -1/99.
    expect(m.givingAssortment as number).toBeCloseTo(-1 / 99, 6);
    expect(m.cooperativeClusters).toBe(2);
    expect(m.largestCooperativeCluster).toBe(3);
  });

  it("a directed edge counts once, tail to head", async () => {
    // Edges 1->2, 1->3, 2->3, 3->4, 4->1; 1 and 2 give 60 % (c = 1), 3 and 4 20 % (c = 0).
    // (tail, head) in c: (1,1) (1,0) (1,0) (0,0) (0,1): mean of tails 3/5, of heads 2/5,
    // E[xy] = 1/5, cov = 1/5 - 6/25 = -1/25, both variances 6/25: r = -1/6. Counting both orders,
    // as for undirected edges, would give -1/5.
    const m = [
      [0, 1, 1, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
      [1, 0, 0, 0],
    ];
    const run = await runDonor(dir.root, {
      seed: 2,
      minds: [
        { count: 2, policy: "constant", fraction: 0.6 },
        { count: 2, policy: "constant", fraction: 0.2 },
      ],
      graph: { type: "adjacency", matrix: m },
      donorGame: { rounds: 4 },
    });
    const agents = rows(run);
    expect(agents.every((r) => r.giving !== null)).toBe(true);
    expect(run.metrics[0]!.givingAssortment as number).toBeCloseTo(-1 / 6, 6);
  });

  it("the complete graph: no degree correlation written (one degree), r = -1/(n-1), one cluster of the givers", async () => {
    const run = await runDonor(dir.root, {
      seed: 5,
      minds: [
        { count: 5, policy: "constant", fraction: 0.6 },
        { count: 7, policy: "constant", fraction: 0.2 },
      ],
    });
    const m = run.metrics[0]!;
    expect(rows(run).every((r) => r.degree === 11 && r.giving !== null)).toBe(true);
    expect(m).not.toHaveProperty("givingDegreeCorrelation");
    // Every ordered pair of distinct agents: covariance -variance/(n-1), exactly -1/11 for n = 12.
    expect(m.givingAssortment as number).toBeCloseTo(-1 / 11, 9);
    expect(m.cooperativeClusters).toBe(1);
    expect(m.largestCooperativeCluster).toBe(5);
  });

  it("nobody gives 50 %: no cooperative cluster; nobody plays: every giving metric is null", async () => {
    const stingy = await runDonor(dir.root, {
      seed: 5,
      minds: [{ count: 4, policy: "constant", fraction: 0 }],
    });
    expect(stingy.metrics[0]).toMatchObject({
      cooperativeClusters: 0,
      largestCooperativeCluster: 0,
    });
    // All give exactly 0: no variance, no correlation (and one degree: none written for it).
    expect(stingy.metrics[0]).toMatchObject({ givingAssortment: null });
    expect(stingy.metrics[0]).not.toHaveProperty("givingDegreeCorrelation");
    const alone = await runDonor(dir.root, {
      seed: 5,
      minds: [{ count: 4, policy: "constant", fraction: 0.6 }],
      graph: { type: "adjacency", matrix: matrix(4, []) },
    });
    expect(rows(alone).every((r) => r.giving === null && r.degree === 0)).toBe(true);
    expect(alone.metrics[0]).not.toHaveProperty("givingDegreeCorrelation");
    expect(alone.metrics[0]).toMatchObject({
      givingAssortment: null,
      cooperativeClusters: null,
      largestCooperativeCluster: null,
    });
  });
});
