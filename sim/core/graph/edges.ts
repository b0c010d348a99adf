import { Graph } from "./graphology.js";
import type { Attributes, GraphType } from "graphology-types";
import type { SocialGraph } from "./social.js";

/** A simple graph (no self-loops, no parallel edges) whose nodes are `ids`, in order. */
export function emptyGraph(ids: readonly string[], type: GraphType): Graph {
  const graph = new Graph({ type, multi: false, allowSelfLoops: false });
  for (const id of ids) graph.addNode(id);
  return graph;
}

/** Adds an edge keyed by its endpoints, so equal inputs give identical exports. */
export function link(
  graph: Graph,
  source: string,
  target: string,
  directed = graph.type === "directed",
  attributes?: Attributes,
): void {
  if (directed) graph.addDirectedEdgeWithKey(`${source}->${target}`, source, target, attributes);
  else graph.addUndirectedEdgeWithKey(`${source}--${target}`, source, target, attributes);
}

/** Whether an edge joins a and b, in either direction. */
export function areAdjacent(graph: Graph | SocialGraph, a: string, b: string): boolean {
  return graph.hasEdge(a, b) || graph.hasEdge(b, a);
}
