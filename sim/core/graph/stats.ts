import type { Graph } from "./graphology.js";
import type { SocialGraph } from "./social.js";
import { density } from "graphology-metrics/graph/density.js";

export interface GraphStats {
  nodes: number;
  edges: number;
  directed: boolean;
  density: number;
  /** Undirected edges count at both ends, directed ones once (mean out-degree). */
  meanDegree: number;
  /**
   * Mean local clustering on the undirected view; nodes of degree < 2 count 0 (networkx
   * average_clustering).
   */
  clustering: number;
  /**
   * Mean shortest-path length (in hops, following edge directions) over ordered pairs that are
   * reachable; null if none.
   */
  averagePathLength: number | null;
  /** Connected when edge directions are ignored (weakly connected for directed graphs). */
  connected: boolean;
}

/** A graph's statistics; the complete graph's in closed form (the general pass is cubic in n). */
export function graphStats(graph: Graph | SocialGraph): GraphStats {
  if (!("kind" in graph)) return explicitStats(graph);
  if (graph.explicit) return explicitStats(graph.explicit);
  const n = graph.order;
  return {
    nodes: n,
    edges: graph.size,
    directed: false,
    density: n < 2 ? 0 : 1,
    meanDegree: n === 0 ? 0 : n - 1,
    // Every node of degree >= 2 has all its neighbours linked; smaller ones count 0.
    clustering: n < 3 ? 0 : 1,
    averagePathLength: n < 2 ? null : 1,
    connected: n > 0,
  };
}

function explicitStats(graph: Graph): GraphStats {
  const nodes = graph.nodes();
  const n = nodes.length;
  const index = new Map(nodes.map((node, i) => [node, i]));
  // Outbound (directed out + undirected) and direction-free neighbour lists, self excluded,
  // deduplicated.
  const out: Int32Array[] = [];
  const all: Int32Array[] = [];
  for (const node of nodes) {
    const i = index.get(node)!;
    out.push(
      Int32Array.from(
        new Set(
          graph
            .outboundNeighbors(node)
            .map((m) => index.get(m)!)
            .filter((j) => j !== i),
        ),
      ),
    );
    all.push(
      Int32Array.from(
        new Set(
          graph
            .neighbors(node)
            .map((m) => index.get(m)!)
            .filter((j) => j !== i),
        ),
      ),
    );
  }
  // Average shortest path length over ordered reachable pairs (BFS along edge directions).
  const dist = new Int32Array(n);
  const queue = new Int32Array(n);
  let totalDistance = 0;
  let pairs = 0;
  for (let s = 0; s < n; s++) {
    dist.fill(-1);
    dist[s] = 0;
    queue[0] = s;
    let head = 0;
    let tail = 1;
    while (head < tail && tail < n) {
      const v = queue[head++]!;
      const next = dist[v]! + 1;
      const adj = out[v]!;
      for (let k = 0; k < adj.length; k++) {
        const w = adj[k]!;
        if (dist[w] === -1) {
          dist[w] = next;
          queue[tail++] = w;
          totalDistance += next;
          pairs++;
        }
      }
    }
  }
  // Local clustering on the undirected view: links among a node's neighbours = sum over its
  // neighbours u of |N(u) & N(v)|, halved; by bitsets of N.
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(n * words);
  for (let v = 0; v < n; v++)
    for (const u of all[v]!) bits[v * words + (u >>> 5)]! |= 1 << (u & 31);
  let clusteringSum = 0;
  for (let v = 0; v < n; v++) {
    const nv = all[v]!;
    const k = nv.length;
    if (k < 2) continue;
    let twice = 0;
    const bv = v * words;
    for (let a = 0; a < k; a++) {
      const bu = nv[a]! * words;
      for (let w = 0; w < words; w++) twice += popcount(bits[bu + w]! & bits[bv + w]!);
    }
    clusteringSum += twice / 2 / ((k * (k - 1)) / 2);
  }
  // Weak connectivity: BFS on the direction-free view from the first node.
  let reached = 0;
  if (n > 0) {
    const seen = new Uint8Array(n);
    const stack = [0];
    seen[0] = 1;
    reached = 1;
    while (stack.length > 0)
      for (const w of all[stack.pop()!]!) {
        if (seen[w]) continue;
        seen[w] = 1;
        reached++;
        stack.push(w);
      }
  }
  return {
    nodes: n,
    edges: graph.size,
    directed: graph.type === "directed",
    density: n < 2 ? 0 : density(graph),
    meanDegree: n === 0 ? 0 : (2 * graph.undirectedSize + graph.directedSize) / n,
    clustering: n === 0 ? 0 : clusteringSum / n,
    averagePathLength: pairs === 0 ? null : totalDistance / pairs,
    connected: n > 0 && reached === n,
  };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
