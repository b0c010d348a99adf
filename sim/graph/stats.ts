import type { Graph } from "./graphology.js";
import { density } from "graphology-metrics/graph/density.js";
import { singleSourceLength } from "graphology-shortest-path/unweighted.js";

export interface GraphStats {
  nodes: number;
  edges: number;
  directed: boolean;
  density: number;
  /** Undirected edges count at both ends, directed ones once (mean out-degree). */
  meanDegree: number;
  /** Mean local clustering on the undirected view; nodes of degree < 2 count 0 (networkx average_clustering). */
  clustering: number;
  /** Mean shortest-path length (in hops, following edge directions) over ordered pairs that are reachable; null if none. */
  averagePathLength: number | null;
  /** Connected when edge directions are ignored (weakly connected for directed graphs). */
  connected: boolean;
}

export function graphStats(graph: Graph): GraphStats {
  const n = graph.order;
  let totalDistance = 0;
  let pairs = 0;
  graph.forEachNode((node) => {
    for (const [target, distance] of Object.entries(singleSourceLength(graph, node)))
      if (target !== node) {
        totalDistance += distance;
        pairs++;
      }
  });
  return {
    nodes: n,
    edges: graph.size,
    directed: graph.type === "directed",
    density: n < 2 ? 0 : density(graph),
    meanDegree: n === 0 ? 0 : (2 * graph.undirectedSize + graph.directedSize) / n,
    clustering: n === 0 ? 0 : graph.nodes().reduce((sum, node) => sum + localClustering(graph, node), 0) / n,
    averagePathLength: pairs === 0 ? null : totalDistance / pairs,
    connected: n > 0 && reachableIgnoringDirection(graph, graph.nodes()[0]!) === n,
  };
}

function localClustering(graph: Graph, node: string): number {
  const neighbors = graph.neighbors(node).filter((other) => other !== node);
  const k = neighbors.length;
  if (k < 2) return 0;
  let links = 0;
  for (let i = 0; i < k; i++)
    for (let j = i + 1; j < k; j++) if (graph.areNeighbors(neighbors[i]!, neighbors[j]!)) links++;
  return links / ((k * (k - 1)) / 2);
}

function reachableIgnoringDirection(graph: Graph, start: string): number {
  const seen = new Set([start]);
  const queue = [start];
  for (let node = queue.pop(); node !== undefined; node = queue.pop())
    for (const next of graph.neighbors(node))
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
  return seen.size;
}
