/**
 * The social graph as run-started records it. Event version 3 writes a CompactGraph: the complete
 * graph as its node list alone, any other graph as an edge list of node indices (a 1,000-agent
 * complete graph took 27 MB as graphology's export, it now takes its 1,000 ids). Versions 1 and 2
 * wrote graphology's export (SerializedGraph); readers take either through the functions below.
 * DOM- and Node-free: the viewer imports it.
 */
import type { AbstractGraph as Graph } from "graphology-types";
import type { SocialGraph } from "./social.js";

type Attributes = Record<string, unknown>;

/** graphology's `export()`: run-started's graph in version 1 and 2 logs. */
export interface SerializedGraph {
  attributes?: Attributes;
  options?: Record<string, unknown>;
  nodes: { key: string; attributes?: Attributes }[];
  edges: {
    key?: string;
    source: string;
    target: string;
    undirected?: boolean;
    attributes?: Attributes;
  }[];
}

export interface CompactGraph {
  /** "complete": every pair of nodes joined by an undirected edge, none listed. */
  kind: "complete" | "explicit";
  type: "directed" | "undirected" | "mixed";
  /** Node keys (the first generation's ids, the slots), in population order. */
  nodes: string[];
  /** Attributes of the nodes that have any, by node index. */
  nodeAttributes?: Record<string, Attributes>;
  /** Explicit graphs: edge i runs from nodes[edges[2i]] to nodes[edges[2i + 1]]. */
  edges?: number[];
  /** Attributes of the edges that have any (a weight...), by edge index. */
  edgeAttributes?: Record<string, Attributes>;
  /** Mixed graphs: the indices of the undirected edges (the others are directed). */
  undirected?: number[];
}

/** run-started's graph in any event version. */
export type RecordedGraph = SerializedGraph | CompactGraph;

function isCompactGraph(graph: RecordedGraph): graph is CompactGraph {
  return "kind" in graph;
}

/** The compact form of a run's social graph (event version 3). */
export function compactGraph(graph: SocialGraph): CompactGraph {
  const nodes = graph.nodes();
  if (!graph.explicit) return { kind: "complete", type: "undirected", nodes };
  return compactExplicit(graph.explicit, nodes);
}

function compactExplicit(graph: Graph, nodes: string[]): CompactGraph {
  const index = new Map(nodes.map((node, i) => [node, i]));
  const nodeAttributes: Record<string, Attributes> = {};
  nodes.forEach((node, i) => {
    const attributes = graph.getNodeAttributes(node);
    if (Object.keys(attributes).length > 0) nodeAttributes[i] = { ...attributes };
  });
  const edges: number[] = [];
  const edgeAttributes: Record<string, Attributes> = {};
  const undirected: number[] = [];
  let i = 0;
  graph.forEachEdge((_edge, attributes, source, target, _sa, _ta, isUndirected) => {
    edges.push(index.get(source)!, index.get(target)!);
    if (Object.keys(attributes).length > 0) edgeAttributes[i] = { ...attributes };
    if (isUndirected && graph.type === "mixed") undirected.push(i);
    i++;
  });
  return {
    kind: "explicit",
    type: graph.type,
    nodes,
    ...(Object.keys(nodeAttributes).length > 0 ? { nodeAttributes } : {}),
    edges,
    ...(Object.keys(edgeAttributes).length > 0 ? { edgeAttributes } : {}),
    ...(undirected.length > 0 ? { undirected } : {}),
  };
}

/** The recorded graph's node keys (the slots), in population order. */
export function recordedNodes(graph: RecordedGraph): string[] {
  return isCompactGraph(graph) ? [...graph.nodes] : graph.nodes.map((node) => node.key);
}

/** The recorded graph's edge count. */
export function recordedEdgeCount(graph: RecordedGraph): number {
  if (!isCompactGraph(graph)) return graph.edges.length;
  const n = graph.nodes.length;
  return graph.kind === "complete" ? (n * (n - 1)) / 2 : (graph.edges?.length ?? 0) / 2;
}

/**
 * The recorded graph as graphology's export (edge keys as Agora's generators write them), for
 * readers that rebuild a graphology graph. A complete graph's edges are listed only up to
 * `maxCompleteEdges` (default: all): above it `edges` is empty, and the nodes alone are given.
 */
export function serializedGraph(
  graph: RecordedGraph,
  options: { maxCompleteEdges?: number } = {},
): SerializedGraph {
  if (!isCompactGraph(graph)) return graph;
  const { nodes } = graph;
  const out: SerializedGraph = {
    options: { type: graph.type, multi: false, allowSelfLoops: false },
    attributes: {},
    nodes: nodes.map((key, i) => {
      const attributes = graph.nodeAttributes?.[i];
      return attributes ? { key, attributes: { ...attributes } } : { key };
    }),
    edges: [],
  };
  if (graph.kind === "complete") {
    if (recordedEdgeCount(graph) > (options.maxCompleteEdges ?? Infinity)) return out;
    for (let a = 0; a < nodes.length; a++)
      for (let b = a + 1; b < nodes.length; b++)
        out.edges.push({ key: `${nodes[a]}--${nodes[b]}`, source: nodes[a]!, target: nodes[b]! });
    return out;
  }
  const undirected = new Set(graph.undirected);
  const flat = graph.edges ?? [];
  for (let i = 0; 2 * i < flat.length; i++) {
    const source = nodes[flat[2 * i]!]!;
    const target = nodes[flat[2 * i + 1]!]!;
    const isUndirected = graph.type === "undirected" || undirected.has(i);
    const attributes = graph.edgeAttributes?.[i];
    out.edges.push({
      key: `${source}${isUndirected ? "--" : "->"}${target}`,
      source,
      target,
      ...(attributes ? { attributes: { ...attributes } } : {}),
      ...(isUndirected && graph.type === "mixed" ? { undirected: true } : {}),
    });
  }
  return out;
}
