/**
 * The networked public-goods game's arithmetic (Santos, Santos & Pacheco 2008, "fixed cost per
 * individual"), as pure functions of who neighbours whom and who contributed what:
 *
 * - Every agent i is the focal member of one group: i and its k_i graph neighbours (k_i + 1
 * members).
 *   So i belongs to k_i + 1 groups: its own and each neighbour's.
 * - i's contribution c_i (0..endowment) is split equally over those groups: c_i / (k_i + 1) to
 * each.
 * - A group's pot is the sum of the shares paid into it; it is multiplied by r (`multiplier`) and
 *   shared equally among the group's k_j + 1 members.
 * - i's payoff in a round: endowment - c_i (what it kept) + the sum of its shares of the pots of
 *   the k_i + 1 groups it belongs to.
 */

/** The graph operations the game needs (graphology's Graph has them). */
export interface NeighbourGraph {
  neighbors(node: string): string[];
}

/**
 * Each agent's neighbours by agent id, in population order: the agents on the graph nodes adjacent
 * to its slot, either way round on a directed graph (the group relation is symmetric), no
 * self-loops.
 */
export function neighbourhoods(
  graph: NeighbourGraph,
  agents: readonly { id: string; slot: string }[],
): Map<string, string[]> {
  const index = new Map(agents.map((a, i) => [a.slot, i]));
  return new Map(
    agents.map((a) => {
      const adjacent = [...new Set(graph.neighbors(a.slot))].filter(
        (slot) => slot !== a.slot && index.has(slot),
      );
      adjacent.sort((x, y) => index.get(x)! - index.get(y)!);
      return [a.id, adjacent.map((slot) => agents[index.get(slot)!]!.id)];
    }),
  );
}

export interface RoundResult {
  /** The pot of the group centred on each agent, before multiplication. */
  pots: Map<string, number>;
  /** What each agent received from all the groups it belongs to. */
  received: Map<string, number>;
  /** endowment - contribution + received. */
  payoffs: Map<string, number>;
}

/**
 * One round's pots and payoffs. `neighbours` lists every agent (an isolated agent is a group of
 * one: it gets r times its own contribution back); `contributions` holds an amount for each.
 * Sums run in population order (the order of `neighbours`), so a run and its replay agree to the
 * bit.
 */
export function playRound(
  neighbours: ReadonlyMap<string, readonly string[]>,
  contributions: ReadonlyMap<string, number>,
  endowment: number,
  multiplier: number,
): RoundResult {
  const groupSize = (id: string) => neighbours.get(id)!.length + 1;
  const share = (id: string) => contributions.get(id)! / groupSize(id);
  const pots = new Map<string, number>();
  for (const [focal, around] of neighbours)
    pots.set(
      focal,
      around.reduce((sum, id) => sum + share(id), share(focal)),
    );
  const returnOf = (focal: string) => (multiplier * pots.get(focal)!) / groupSize(focal);
  const received = new Map<string, number>();
  const payoffs = new Map<string, number>();
  for (const [id, around] of neighbours) {
    const total = around.reduce((sum, focal) => sum + returnOf(focal), returnOf(id));
    received.set(id, total);
    payoffs.set(id, endowment - contributions.get(id)! + total);
  }
  return { pots, received, payoffs };
}
