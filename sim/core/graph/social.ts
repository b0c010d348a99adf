import type { AbstractGraph as Graph } from "graphology-types";

/**
 * The social graph as scenarios see it (`ctx.graph`): what they ask of it, and nothing that needs
 * every edge in memory. Two implementations: the complete graph, implicit (its edges are never
 * stored, so 5,000 agents cost a node list, not 12.5 million edges), and any other graph, backed by
 * graphology. Neighbour lists are fresh arrays in node (population) order for the complete graph,
 * in graphology's order otherwise.
 */
export interface SocialGraph {
  /** "complete": every pair of nodes joined, undirected, unweighted; "explicit": edges stored. */
  readonly kind: "complete" | "explicit";
  /** graphology's type: directed, undirected, or mixed (graph files with both kinds of edges). */
  readonly type: "directed" | "undirected" | "mixed";
  /** Nodes. */
  readonly order: number;
  /** Edges. */
  readonly size: number;
  nodes(): string[];
  hasNode(node: string): boolean;
  /** An edge source -> target (directed), or an undirected edge joining them. */
  hasEdge(source: string, target: string): boolean;
  /** Neighbours along any edge, either direction. */
  neighbors(node: string): string[];
  /** Nodes with an edge to `node` (directed in-edges and undirected edges). */
  inboundNeighbors(node: string): string[];
  /** Nodes `node` has an edge to (directed out-edges and undirected edges). */
  outboundNeighbors(node: string): string[];
  /** Edges at `node` (in, out and undirected). */
  degree(node: string): number;
  /** The weight of the edge source -> target (1 when it has none); undefined without an edge. */
  edgeWeight(source: string, target: string): number | undefined;
  /** An explicit graph's stored graph (its edges, node and edge attributes); null if implicit. */
  readonly explicit: Graph | null;
}

/** The complete undirected graph on `ids`, implicit: membership tests and neighbour lists only. */
export class CompleteGraph implements SocialGraph {
  readonly kind = "complete";
  readonly type = "undirected";
  readonly explicit = null;
  private readonly ids: readonly string[];
  private readonly members: ReadonlySet<string>;

  constructor(ids: readonly string[]) {
    this.ids = [...ids];
    this.members = new Set(ids);
    if (this.members.size !== ids.length) throw new Error("complete graph: duplicate node ids");
  }

  get order(): number {
    return this.ids.length;
  }
  get size(): number {
    return (this.ids.length * (this.ids.length - 1)) / 2;
  }
  nodes(): string[] {
    return [...this.ids];
  }
  hasNode(node: string): boolean {
    return this.members.has(node);
  }
  hasEdge(source: string, target: string): boolean {
    return source !== target && this.members.has(source) && this.members.has(target);
  }
  neighbors(node: string): string[] {
    this.check(node);
    return this.ids.filter((id) => id !== node);
  }
  inboundNeighbors(node: string): string[] {
    return this.neighbors(node);
  }
  outboundNeighbors(node: string): string[] {
    return this.neighbors(node);
  }
  degree(node: string): number {
    this.check(node);
    return this.ids.length - 1;
  }
  edgeWeight(source: string, target: string): number | undefined {
    return this.hasEdge(source, target) ? 1 : undefined;
  }

  /** graphology throws on unknown nodes too: a wrong slot is a bug, not an empty neighbourhood. */
  private check(node: string): void {
    if (!this.members.has(node)) throw new Error(`complete graph: no node "${node}"`);
  }
}

/** A graphology graph seen as a SocialGraph. */
export class ExplicitGraph implements SocialGraph {
  readonly kind = "explicit";

  constructor(readonly explicit: Graph) {}

  get type(): SocialGraph["type"] {
    return this.explicit.type;
  }
  get order(): number {
    return this.explicit.order;
  }
  get size(): number {
    return this.explicit.size;
  }
  nodes(): string[] {
    return this.explicit.nodes();
  }
  hasNode(node: string): boolean {
    return this.explicit.hasNode(node);
  }
  hasEdge(source: string, target: string): boolean {
    return this.explicit.hasEdge(source, target);
  }
  neighbors(node: string): string[] {
    return this.explicit.neighbors(node);
  }
  inboundNeighbors(node: string): string[] {
    return this.explicit.inboundNeighbors(node);
  }
  outboundNeighbors(node: string): string[] {
    return this.explicit.outboundNeighbors(node);
  }
  degree(node: string): number {
    return this.explicit.degree(node);
  }
  edgeWeight(source: string, target: string): number | undefined {
    const edge = this.explicit.edge(source, target);
    if (edge === undefined) return undefined;
    const weight: unknown = this.explicit.getEdgeAttribute(edge, "weight");
    return typeof weight === "number" ? weight : 1;
  }
}
