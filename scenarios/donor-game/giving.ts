/**
 * What the Donor Game's generation metrics see of the network: how each agent's giving
 * (decisions.ts) lies on the graph (README "Networks"). The graph's nodes are places (`slot`), so
 * values are read through the agent at each place.
 */
import type { SocialGraph } from "../../sim/core/graph/social.js";
import { assortment, clusters, valueByDegree } from "../../sim/toolkit/network-metrics.js";

/** A cooperator, for cooperative clusters: giving at least half, on average. */
const COOPERATIVE = 0.5;

export interface GivingMetrics {
  /**
   * Pearson r between an agent's degree and its giving; null without variation in giving. Not
   * written on a graph whose places all have one degree (the complete graph, regular graphs,
   * lattices), where it could only ever be null.
   */
  givingDegreeCorrelation?: number | null;
  /** Pearson r of giving across the two ends of each edge (both orders if undirected). */
  givingAssortment: number | null;
  /** Connected components of the agents that give at least half; null if no agent gave. */
  cooperativeClusters: number | null;
  largestCooperativeCluster: number | null;
}

/** The network metrics of a generation over the agents with a giving (the others are left out). */
export function givingMetrics(
  graph: SocialGraph,
  agents: readonly { id: string; slot: string }[],
  giving: ReadonlyMap<string, number>,
): GivingMetrics {
  const occupant = new Map(agents.map((a) => [a.slot, a.id]));
  const at = (slot: string) => giving.get(occupant.get(slot)!);
  const sizes = clusters(graph, (slot) => (at(slot) ?? -1) >= COOPERATIVE);
  const gave = giving.size > 0;
  return {
    ...(oneDegree(graph) ? {} : { givingDegreeCorrelation: valueByDegree(graph, at).correlation }),
    givingAssortment: assortment(graph, at),
    cooperativeClusters: gave ? sizes.length : null,
    largestCooperativeCluster: gave ? (sizes[0] ?? 0) : null,
  };
}

function oneDegree(graph: SocialGraph): boolean {
  if (graph.kind === "complete") return true;
  const nodes = graph.nodes();
  const first = nodes.length > 0 ? graph.degree(nodes[0]!) : 0;
  return nodes.every((node) => graph.degree(node) === first);
}
