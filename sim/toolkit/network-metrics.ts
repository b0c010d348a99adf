/**
 * Network metrics over a social graph and a value per node (an agent's giving, a text's similarity
 * to a variant): correlation with degree, assortment along edges, clusters of nodes that share a
 * property, hop distances. Scenario-neutral; imports only sim/core. Nodes are visited in the
 * graph's node order, so the same graph and values give the same floating-point results. On the
 * implicit complete graph every metric is computed in closed form, never over its n² edges.
 */
import type { SocialGraph } from "../core/graph/social.js";

/**
 * A value per node: a map (nodes without an entry are left out) or a function (null or undefined =
 * left out). A value that is not a finite number is an error, not a missing value.
 */
export type NodeValues =
  ReadonlyMap<string, number> | ((node: string) => number | null | undefined);

/** The nodes with a value and their values, in the graph's node order. */
function valued(graph: SocialGraph, values: NodeValues): Map<string, number> {
  const get = typeof values === "function" ? values : (node: string) => values.get(node);
  const out = new Map<string, number>();
  for (const node of graph.nodes()) {
    const v = get(node);
    if (v === null || v === undefined) continue;
    if (!Number.isFinite(v)) throw new Error(`network metrics: node "${node}" has the value ${v}`);
    out.set(node, v);
  }
  return out;
}

/**
 * Pearson correlation of paired values; null below two pairs or when either side is constant (no
 * correlation to measure). Two passes (means, then deviations), summed left to right.
 */
export function pearson(xs: ArrayLike<number>, ys: ArrayLike<number>): number | null {
  if (xs.length !== ys.length)
    throw new Error(`pearson: ${xs.length} x values but ${ys.length} y values`);
  const n = xs.length;
  if (n < 2) return null;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    sumX += xs[i]!;
    sumY += ys[i]!;
  }
  const [mx, my] = [sumX / n, sumY / n];
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

export interface DegreeClass {
  degree: number;
  /** Nodes of this degree with a value. */
  count: number;
  /** Their mean value. */
  mean: number;
}

export interface ValueByDegree {
  /** One entry per degree that has a valued node, by increasing degree. */
  byDegree: DegreeClass[];
  /** Pearson r between a node's degree and its value over the valued nodes; null if undefined. */
  correlation: number | null;
}

/**
 * The value by degree (`SocialGraph.degree`: every edge at the node, in and out for directed
 * graphs): count and mean per degree, and the correlation between degree and value.
 */
export function valueByDegree(graph: SocialGraph, values: NodeValues): ValueByDegree {
  const known = valued(graph, values);
  const degrees: number[] = [];
  const xs: number[] = [];
  const classes = new Map<number, { count: number; sum: number }>();
  for (const [node, v] of known) {
    const degree = graph.degree(node);
    degrees.push(degree);
    xs.push(v);
    const c = classes.get(degree) ?? { count: 0, sum: 0 };
    c.count++;
    c.sum += v;
    classes.set(degree, c);
  }
  return {
    byDegree: [...classes]
      .sort(([a], [b]) => a - b)
      .map(([degree, c]) => ({ degree, count: c.count, mean: c.sum / c.count })),
    correlation: pearson(degrees, xs),
  };
}

/**
 * Newman's scalar assortativity of the values: the Pearson correlation of the values at the two
 * ends of every edge whose ends both have a value. An undirected edge counts in both orders
 * (symmetric), a directed edge source -> target once (x = source, y = target), parallel edges each,
 * an undirected self-loop once, as networkx's `numeric_assortativity_coefficient` does; weights are
 * ignored. Null with fewer than two such pairs or no variation.
 *
 * The complete graph on k valued nodes, in closed form: its ordered pairs u != v give x and y the
 * node mean m and node variance s² (each node appears k - 1 times on each side), and covariance
 * Σ_{u≠v} (x_u − m)(x_v − m) / (k(k − 1)) = ((Σ (x_u − m))² − Σ (x_u − m)²) / (k(k − 1)) =
 * −s² / (k − 1), so r = −1 / (k − 1) whenever the values are not all equal.
 */
export function assortment(graph: SocialGraph, values: NodeValues): number | null {
  const known = valued(graph, values);
  if (!graph.explicit) {
    const first = known.values().next().value;
    const varies = [...known.values()].some((v) => v !== first);
    return known.size < 2 || !varies ? null : -1 / (known.size - 1);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  graph.explicit.forEachEdge((_edge, _attributes, source, target, _s, _t, undirected) => {
    const x = known.get(source);
    const y = known.get(target);
    if (x === undefined || y === undefined) return;
    xs.push(x);
    ys.push(y);
    if (undirected && source !== target) {
      xs.push(y);
      ys.push(x);
    }
  });
  return pearson(xs, ys);
}

/**
 * The connected components of the subgraph induced by the nodes for which `member` holds, edge
 * directions ignored (weak components): their sizes, largest first. The complete graph's members
 * are one component.
 */
export function clusters(graph: SocialGraph, member: (node: string) => boolean): number[] {
  const members = graph.nodes().filter((node) => member(node));
  if (!graph.explicit) return members.length === 0 ? [] : [members.length];
  const inside = new Set(members);
  const seen = new Set<string>();
  const sizes: number[] = [];
  for (const start of members) {
    if (seen.has(start)) continue;
    seen.add(start);
    const stack = [start];
    let size = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      size++;
      for (const next of graph.neighbors(node))
        if (inside.has(next) && !seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
    }
    sizes.push(size);
  }
  return sizes.sort((a, b) => b - a);
}

/**
 * Breadth-first hop distances over one graph from many sources: the out-adjacency (directed edges
 * source -> target, undirected edges either way) is indexed once as integer arrays, so each search
 * costs time linear in what it reaches, without string look-ups. The complete graph is never
 * indexed: every other node is at 1.
 */
export class HopDistances {
  /** The graph's nodes in its order; `from` answers by position in this list. */
  readonly nodes: readonly string[];
  private readonly index: Map<string, number>;
  /** Node i's out-neighbours: targets from offsets[i] to offsets[i + 1]; null if complete. */
  private readonly offsets: Int32Array | null;
  private readonly targets: Int32Array;
  private readonly queue: Int32Array;

  constructor(graph: SocialGraph) {
    this.nodes = graph.nodes();
    this.index = new Map(this.nodes.map((node, i) => [node, i]));
    this.queue = new Int32Array(this.nodes.length);
    if (!graph.explicit) {
      this.offsets = null;
      this.targets = new Int32Array(0);
      return;
    }
    const lists = this.nodes.map((node) =>
      graph.outboundNeighbors(node).map((next) => this.index.get(next)!),
    );
    this.offsets = new Int32Array(this.nodes.length + 1);
    lists.forEach((list, i) => (this.offsets![i + 1] = this.offsets![i]! + list.length));
    this.targets = Int32Array.from(lists.flat());
  }

  /** The position of `node` in `nodes`; undefined if the graph has no such node. */
  indexOf(node: string): number | undefined {
    return this.index.get(node);
  }

  /**
   * Distances from `source` by node position: 0 for `source`, -1 for nodes it cannot reach within
   * `maxDistance` hops.
   */
  from(source: string, maxDistance = Infinity): Int32Array {
    const start = this.index.get(source);
    if (start === undefined) throw new Error(`distancesFrom: no node "${source}"`);
    const n = this.nodes.length;
    // Explicit: unreached until the search finds them; complete: every other node at 1 (unless cut
    // at 0).
    const distance = new Int32Array(n).fill(this.offsets || maxDistance < 1 ? -1 : 1);
    distance[start] = 0;
    if (!this.offsets) return distance;
    const { offsets, targets, queue } = this;
    queue[0] = start;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const node = queue[head++]!;
      const next = distance[node]! + 1;
      if (next > maxDistance) break;
      for (let k = offsets[node]!; k < offsets[node + 1]!; k++) {
        const target = targets[k]!;
        if (distance[target] !== -1) continue;
        distance[target] = next;
        queue[tail++] = target;
      }
    }
    return distance;
  }
}

/**
 * Hop distances from `source` along out-edges (directed edges source -> target, undirected edges
 * either way) by breadth-first search: `source` at 0; nodes it cannot reach are absent. The
 * complete graph: every other node at 1. For many sources on one graph, use one HopDistances.
 */
export function distancesFrom(graph: SocialGraph, source: string): Map<string, number> {
  const hops = new HopDistances(graph);
  const distances = new Map<string, number>();
  hops.from(source).forEach((d, i) => {
    if (d >= 0) distances.set(hops.nodes[i]!, d);
  });
  return distances;
}
