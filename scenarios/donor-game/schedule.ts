import type { SocialGraph } from "../../sim/core/graph/index.js";
import type { Rng } from "../../sim/core/rng.js";

/** A round's pairings: [donor, recipient], as ids or (in the scenario) places in the order. */
export type Pairing<T = string> = readonly [T, T];

/**
 * The released code's schedule: halves A and B; round i (of n/2) pairs A[j] with B rotated by i,
 * the donor half switching every round; then the same rounds again with roles reversed. Longer
 * games cycle through it.
 */
export function codeSchedule<T>(order: readonly T[], rounds: number): Pairing<T>[][] {
  const { a, b } = halves(order);
  // Only the rounds played are built: with 1,000 agents the whole cycle is 1,000 rounds of 500
  // pairs.
  return Array.from({ length: rounds }, (_, r) => {
    const k = r % (2 * a.length);
    const rotated = rotate(b, k % a.length);
    const aDonates = ((k % a.length) % 2 === 0) !== k >= a.length;
    return a.map((agent, j): Pairing<T> =>
      aDonates ? [agent, rotated[j]!] : [rotated[j]!, agent],
    );
  });
}

/** Same partner rotation, but the donor half switches every round for the whole game. */
export function alternatingSchedule<T>(order: readonly T[], rounds: number): Pairing<T>[][] {
  const { a, b } = halves(order);
  return Array.from({ length: rounds }, (_, r) => {
    const rotated = rotate(b, r % a.length);
    return a.map((agent, j): Pairing<T> =>
      r % 2 === 0 ? [agent, rotated[j]!] : [rotated[j]!, agent],
    );
  });
}

/**
 * Agents whose place has no neighbour (self-loops aside): no schedule can pair them. The complete
 * graph is answered without listing its neighbours.
 */
export function isolatedAgents(
  graph: SocialGraph,
  agents: readonly { id: string; slot: string }[],
): string[] {
  if (graph.kind === "complete") return agents.length === 1 ? [agents[0]!.id] : [];
  return agents.filter((a) => !graph.neighbors(a.slot).some((n) => n !== a.slot)).map((a) => a.id);
}

/**
 * Each round a random maximal matching over the graph's edges, so every pair is adjacent and no
 * agent plays twice in a round. The complete graph (implicit) is paired from a shuffle, a random
 * perfect matching whose pairs' order is random too (the first of a pair donates). Any other graph:
 * its edges in shuffled order, each taken when both ends are still free; an undirected edge's donor
 * is drawn, a directed edge's tail donates. `agents` are the agents in order (the generation's
 * shuffled order), each on its graph node `slot`; `rngOf(round)` is the round's stream.
 */
export function graphSchedule(
  graph: SocialGraph,
  agents: readonly { id: string; slot: string }[],
  rounds: number,
  rngOf: (round: number) => Rng,
): Pairing[][] {
  if (graph.kind === "complete") {
    const ids = agents.map((a) => a.id);
    return Array.from({ length: rounds }, (_, r) => {
      const shuffled = rngOf(r + 1).shuffle(ids);
      return Array.from({ length: Math.floor(shuffled.length / 2) }, (_, j): Pairing => [
        shuffled[2 * j]!,
        shuffled[2 * j + 1]!,
      ]);
    });
  }
  const bySlot = new Map(agents.map((a) => [a.slot, a.id]));
  // Edges between two agents' places, self-loops aside: [source, target, undirected].
  const edges: [string, string, boolean][] = [];
  graph.explicit!.forEachEdge((_edge, _attributes, source, target, _sa, _ta, undirected) => {
    const from = bySlot.get(source);
    const to = bySlot.get(target);
    if (from !== undefined && to !== undefined && from !== to) edges.push([from, to, undirected]);
  });
  return Array.from({ length: rounds }, (_, r) => {
    const rng = rngOf(r + 1);
    const busy = new Set<string>();
    const round: Pairing[] = [];
    for (const [from, to, undirected] of rng.shuffle(edges)) {
      if (busy.has(from) || busy.has(to)) continue;
      busy.add(from).add(to);
      round.push(undirected && rng.bool(0.5) ? [to, from] : [from, to]);
    }
    return round;
  });
}

/** Game 2 plays every pairing of game 1 with roles reversed. */
export function reversed<T>(schedule: readonly Pairing<T>[][]): Pairing<T>[][] {
  return schedule.map((round) => round.map(([d, r]): Pairing<T> => [r, d]));
}

function halves<T>(order: readonly T[]): { a: T[]; b: T[] } {
  if (order.length % 2 !== 0)
    throw new Error(`the Donor Game needs an even population, got ${order.length}`);
  return { a: order.slice(0, order.length / 2), b: order.slice(order.length / 2) };
}

/** Python's b[-i:] + b[:-i]: the last i agents move to the front. */
function rotate<T>(items: readonly T[], i: number): T[] {
  const k = i % items.length;
  return k === 0 ? items.slice() : [...items.slice(-k), ...items.slice(0, -k)];
}
