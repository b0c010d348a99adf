import { ConfigError } from "../errors.js";
import type { Rng } from "../rng.js";
import type { GraphConfig } from "./config.js";
import { emptyGraph, link } from "./edges.js";
import {
  complete,
  connectedCaveman,
  DirectedGraph,
  erdosRenyi,
  type Graph,
  path,
  UndirectedGraph,
} from "./graphology.js";

export type GeneratedGraphConfig = Exclude<GraphConfig, { type: "file" }>;
type Of<T extends GeneratedGraphConfig["type"]> = Extract<GeneratedGraphConfig, { type: T }>;

/** Builds a generated graph on `ids` (generator node i becomes ids[i]). */
export function generateGraph(
  config: GeneratedGraphConfig,
  ids: readonly string[],
  rng: Rng,
  prefix: string,
): Graph {
  const n = ids.length;
  const atLeast = (min: number) => requirePopulation(config, n, min, prefix);
  switch (config.type) {
    case "complete":
      atLeast(1);
      return relabel(complete(UndirectedGraph, n), ids);
    case "cycle":
      atLeast(3);
      return byIndex(ids, false, (add) => {
        for (let i = 0; i < n; i++) add(i, (i + 1) % n);
      });
    case "chain":
      atLeast(2);
      return relabel(path(config.directed ? DirectedGraph : UndirectedGraph, n), ids);
    case "paths": {
      atLeast(1);
      const { count } = config;
      if (n % count !== 0)
        throw new ConfigError(
          `${prefix}.count`,
          count,
          `a number of paths dividing the population size ${n} (each path has n / count nodes)`,
        );
      const length = n / count;
      return byIndex(ids, true, (add) => {
        for (let start = 0; start < n; start += length)
          for (let i = start; i + 1 < start + length; i++) add(i, i + 1);
      });
    }
    case "star":
      atLeast(2);
      if (config.center >= n)
        throw new ConfigError(`${prefix}.center`, config.center, `a node index in [0, ${n - 1}]`);
      return byIndex(ids, false, (add) => {
        for (let i = 0; i < n; i++) if (i !== config.center) add(config.center, i);
      });
    case "grid":
    case "torus":
      return squareLattice(config, config.type === "torus", VON_NEUMANN, ids, prefix);
    case "lattice":
      if (config.dimensions === 2)
        // The schema requires rows and cols with dimensions 2.
        return squareLattice(
          { rows: config.rows!, cols: config.cols! },
          true,
          config.k === 8 ? MOORE : VON_NEUMANN,
          ids,
          prefix,
        );
      if (config.k >= n)
        throw new ConfigError(
          `${prefix}.k`,
          config.k,
          `an even integer below the population size ${n}`,
        );
      return ringLattice(ids, config.k / 2);
    case "erdos-renyi":
      atLeast(1);
      return relabel(
        erdosRenyi(config.directed ? DirectedGraph : UndirectedGraph, {
          order: n,
          probability: config.p,
          rng: () => rng.float(),
        }),
        ids,
      );
    case "watts-strogatz":
      if (config.k >= n)
        throw new ConfigError(
          `${prefix}.k`,
          config.k,
          `an even integer below the population size ${n}`,
        );
      return wattsStrogatz(config, ids, rng);
    case "barabasi-albert":
      if (config.m >= n)
        throw new ConfigError(`${prefix}.m`, config.m, `an integer below the population size ${n}`);
      return barabasiAlbert(config, ids, rng);
    case "random-regular":
      return randomRegular(config, ids, rng, prefix);
    case "connected-caveman": {
      const { cliques, size } = config;
      if (cliques * size !== n)
        throw new ConfigError(
          `${prefix}.cliques`,
          cliques,
          `cliques * size (${cliques} * ${size} = ${cliques * size}) to equal the population size ${n}`,
        );
      const graph = relabel(connectedCaveman(UndirectedGraph, cliques, size), ids);
      ids.forEach((id, i) => graph.setNodeAttribute(id, "block", Math.floor(i / size)));
      return graph;
    }
    case "sbm":
      return stochasticBlockModel(config, ids, rng, prefix);
    case "llm-culture":
      return llmCulture(config, ids, prefix);
    case "adjacency":
      return adjacency(config, ids, prefix);
  }
}

/** Refuses a population too small for the graph type. */
export function requirePopulation(
  config: GeneratedGraphConfig,
  n: number,
  min: number,
  prefix: string,
): void {
  if (n < min)
    throw new ConfigError(
      `${prefix}.type`,
      config.type,
      `a population of at least ${min} agents for this graph type (it has ${n})`,
    );
}

/** Copies a generator's graph (nodes "0".."n-1") onto the agent ids with stable edge keys. */
function relabel(indexed: Graph, ids: readonly string[]): Graph {
  const graph = emptyGraph(ids, indexed.type === "directed" ? "directed" : "undirected");
  indexed.forEachEdge((_edge, _attributes, source, target) =>
    link(graph, ids[Number(source)]!, ids[Number(target)]!),
  );
  return graph;
}

function byIndex(
  ids: readonly string[],
  directed: boolean,
  fill: (add: (i: number, j: number) => void) => void,
): Graph {
  const graph = emptyGraph(ids, directed ? "directed" : "undirected");
  fill((i, j) => link(graph, ids[i]!, ids[j]!));
  return graph;
}

/** Each cell's links to later cells, so that every edge of the lattice is added once. */
const VON_NEUMANN = [
  [0, 1],
  [1, 0],
] as const;
const MOORE = [...VON_NEUMANN, [1, 1], [1, -1]] as const;

/**
 * A rows x cols lattice, row-major, each cell linked at the given offsets (wrapping both ways when
 * `wrap`; the schema keeps wrapped sides >= 3 so no edge repeats).
 */
function squareLattice(
  { rows, cols }: { rows: number; cols: number },
  wrap: boolean,
  offsets: readonly (readonly [number, number])[],
  ids: readonly string[],
  prefix: string,
): Graph {
  if (rows * cols !== ids.length)
    throw new ConfigError(
      `${prefix}.rows`,
      rows,
      `rows * cols (${rows} * ${cols} = ${rows * cols}) to equal the population size ${ids.length}`,
    );
  return byIndex(ids, false, (add) => {
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++)
        for (const [dr, dc] of offsets) {
          const r2 = r + dr;
          const c2 = c + dc;
          if (wrap || (r2 < rows && c2 >= 0 && c2 < cols))
            add(r * cols + c, ((r2 + rows) % rows) * cols + ((c2 + cols) % cols));
        }
  });
}

/** Node u linked to u+1 … u+half (mod n), so to its `half` nearest on either side. */
function ringLattice(ids: readonly string[], half: number): Graph {
  const n = ids.length;
  return byIndex(ids, false, (add) => {
    for (let j = 1; j <= half; j++) for (let u = 0; u < n; u++) add(u, (u + j) % n);
  });
}

/**
 * networkx's watts_strogatz_graph: ring lattice, then each lattice edge (u, u+j) is rewired to a
 * uniform new endpoint with probability beta.
 */
function wattsStrogatz(config: Of<"watts-strogatz">, ids: readonly string[], rng: Rng): Graph {
  const n = ids.length;
  const half = config.k / 2;
  const graph = ringLattice(ids, half);
  for (let j = 1; j <= half; j++)
    for (let u = 0; u < n; u++) {
      if (!rng.bool(config.beta)) continue;
      const from = ids[u]!;
      // A node already adjacent to everyone has no edge to rewire to; keep the lattice edge.
      if (graph.degree(from) >= n - 1) continue;
      let to: string;
      do to = ids[rng.int(0, n - 1)]!;
      while (to === from || graph.hasEdge(from, to));
      graph.dropEdge(from, ids[(u + j) % n]!);
      link(graph, from, to);
    }
  return graph;
}

/**
 * A simple k-regular graph drawn as networkx's random_regular_graph draws it (Steger & Wormald
 * 1999): every edge equally likely and every k-regular graph possible, the distribution over them
 * uniform as n grows (not exactly on a handful of nodes). Above (n-1)/2 it draws the complement's
 * (n-1-k)-regular graph instead: pairing stubs straight into a nearly complete graph keeps getting
 * stuck (100 nodes of degree 90 did not finish in minutes). Edges are added in node order.
 */
function randomRegular(
  config: Of<"random-regular">,
  ids: readonly string[],
  rng: Rng,
  prefix: string,
): Graph {
  const n = ids.length;
  const { k } = config;
  if (k >= n) throw new ConfigError(`${prefix}.k`, k, `an integer below the population size ${n}`);
  if ((n * k) % 2 !== 0)
    throw new ConfigError(
      `${prefix}.k`,
      k,
      `an even integer when the population size is odd (${n} * ${k} = ${n * k} edge ends cannot pair up)`,
    );
  const complement = 2 * k > n - 1;
  const drawn = pairStubs(n, complement ? n - 1 - k : k, rng);
  return byIndex(ids, false, (add) => {
    if (complement) {
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) if (!drawn.has(i * n + j)) add(i, j);
    } else for (const key of Float64Array.from(drawn).sort()) add(Math.floor(key / n), key % n);
  });
}

/**
 * The edges (i, j), i < j, of a simple d-regular graph on n nodes, as keys i*n + j. Shuffles every
 * node's d stubs into pairs, keeps the pairs that form new edges and re-pairs the leftover stubs;
 * starts over when no two leftovers could still form an edge.
 */
function pairStubs(n: number, d: number, rng: Rng): Set<number> {
  for (;;) {
    const edges = new Set<number>();
    let stubs: number[] = [];
    for (let i = 0; i < n; i++) for (let s = 0; s < d; s++) stubs.push(i);
    while (stubs.length > 0) {
      const shuffled = rng.shuffle(stubs);
      stubs = [];
      for (let s = 0; s < shuffled.length; s += 2) {
        const a = Math.min(shuffled[s]!, shuffled[s + 1]!);
        const b = Math.max(shuffled[s]!, shuffled[s + 1]!);
        if (a !== b && !edges.has(a * n + b)) edges.add(a * n + b);
        else stubs.push(a, b);
      }
      const nodes = [...new Set(stubs)];
      const pairable = nodes.some((a, i) =>
        nodes.some((b, j) => j > i && !edges.has(Math.min(a, b) * n + Math.max(a, b))),
      );
      if (!pairable) break;
    }
    if (stubs.length === 0) return edges;
  }
}

/**
 * Preferential attachment, seeded from a complete core of m+1 nodes (so every core node starts
 * with degree m, like the nodes added later); each further node links to m distinct earlier
 * nodes drawn with probability proportional to degree. Edges: m(m+1)/2 + m(n-m-1).
 */
function barabasiAlbert(config: Of<"barabasi-albert">, ids: readonly string[], rng: Rng): Graph {
  const { m } = config;
  const endpoints: number[] = []; // each node appears once per incident edge
  return byIndex(ids, false, (add) => {
    const attach = (i: number, j: number) => {
      add(i, j);
      endpoints.push(i, j);
    };
    for (let i = 0; i <= m; i++) for (let j = i + 1; j <= m; j++) attach(i, j);
    for (let t = m + 1; t < ids.length; t++) {
      const targets = new Set<number>();
      while (targets.size < m) targets.add(rng.pick(endpoints));
      for (const target of targets) attach(t, target);
    }
  });
}

/**
 * Blocks are consecutive runs of ids; each pair (ordered when directed) links with its blocks'
 * probability.
 */
function stochasticBlockModel(
  config: Of<"sbm">,
  ids: readonly string[],
  rng: Rng,
  prefix: string,
): Graph {
  const total = config.sizes.reduce((a, b) => a + b, 0);
  if (total !== ids.length)
    throw new ConfigError(
      `${prefix}.sizes`,
      config.sizes,
      `block sizes summing to the population size ${ids.length} (they sum to ${total})`,
    );
  const block = config.sizes.flatMap((size, b) => Array<number>(size).fill(b));
  const graph = byIndex(ids, config.directed, (add) => {
    for (let i = 0; i < ids.length; i++)
      for (let j = config.directed ? 0 : i + 1; j < ids.length; j++)
        if (i !== j && rng.bool(config.p[block[i]!]![block[j]!]!)) add(i, j);
  });
  ids.forEach((id, i) => graph.setNodeAttribute(id, "block", block[i]));
  return graph;
}

/**
 * LLM-Culture's networks (Perez et al. 2024), edge for edge and in networkx's insertion order,
 * which
 * is the order its agents list their neighbours' stories: "sequence" is a DiGraph i -> i+1,
 * "circle" nx.cycle_graph, "caveman" nx.connected_caveman_graph(cliques, n / cliques) (each
 * clique's
 * edge (s, s+1) rewired to (s, s-1 mod n)), "fully_connected" nx.complete_graph. No self-loops.
 */
function llmCulture(config: Of<"llm-culture">, ids: readonly string[], prefix: string): Graph {
  const n = ids.length;
  const edges = new Map<string, [number, number]>();
  const add = (i: number, j: number) => {
    const key =
      config.structure === "sequence" ? `${i}>${j}` : `${Math.min(i, j)}-${Math.max(i, j)}`;
    if (!edges.has(key)) edges.set(key, [i, j]);
  };
  switch (config.structure) {
    case "sequence":
      for (let i = 0; i + 1 < n; i++) add(i, i + 1);
      break;
    case "circle":
      if (n < 3)
        throw new ConfigError(
          `${prefix}.structure`,
          config.structure,
          `a population of at least 3 agents for a circle (it has ${n})`,
        );
      for (let i = 0; i < n; i++) add(i, (i + 1) % n);
      break;
    case "fully_connected":
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) add(i, j);
      break;
    case "caveman": {
      const size = Math.floor(n / config.cliques);
      if (size * config.cliques !== n || size < 2)
        throw new ConfigError(
          `${prefix}.cliques`,
          config.cliques,
          `a number of cliques dividing the population size ${n} into cliques of at least 2`,
        );
      for (let start = 0; start < n; start += size)
        for (let i = start; i < start + size; i++)
          for (let j = i + 1; j < start + size; j++) add(i, j);
      for (let start = 0; start < n; start += size) {
        edges.delete(`${start}-${start + 1}`);
        add(start, (start - 1 + n) % n);
      }
      break;
    }
  }
  const graph = emptyGraph(ids, config.structure === "sequence" ? "directed" : "undirected");
  for (const [i, j] of edges.values()) link(graph, ids[i]!, ids[j]!);
  if (config.structure === "caveman")
    ids.forEach((id, i) =>
      graph.setNodeAttribute(id, "block", Math.floor(i / (n / config.cliques))),
    );
  return graph;
}

/**
 * An inline adjacency matrix (row = source, column = target, value = weight; 0 = no edge), edges in
 * row-major order.
 */
function adjacency(config: Of<"adjacency">, ids: readonly string[], prefix: string): Graph {
  const n = ids.length;
  const m = config.matrix;
  if (m.length !== n)
    throw new ConfigError(
      `${prefix}.matrix`,
      `${m.length} rows`,
      `a ${n}x${n} matrix (one row and column per agent)`,
    );
  m.forEach((row, i) => {
    if (row.length !== n)
      throw new ConfigError(
        `${prefix}.matrix.${i}`,
        `${row.length} columns`,
        `a row of ${n} numbers`,
      );
    row.forEach((v, j) => {
      if (!Number.isFinite(v) || v < 0)
        throw new ConfigError(
          `${prefix}.matrix.${i}.${j}`,
          v,
          "a finite weight >= 0 (0 = no edge)",
        );
    });
    if (row[i] !== 0)
      throw new ConfigError(
        `${prefix}.matrix.${i}.${i}`,
        row[i],
        "0: self-loops are not supported (a transmission agent sees its own text through socialLearning.memory)",
      );
  });
  const symmetric = m.every((row, i) => row.every((v, j) => v === m[j]![i]));
  const directed = config.directed ?? !symmetric;
  if (!directed && !symmetric) {
    const [i, j] = m
      .flatMap((row, a) => row.map((v, b) => [a, b, v] as const))
      .find(([a, b, v]) => v !== m[b]![a])!;
    throw new ConfigError(
      `${prefix}.matrix.${i}.${j}`,
      m[i]![j],
      `${m[j]![i]} (matrix.${j}.${i}): an undirected graph needs a symmetric matrix`,
    );
  }
  const graph = emptyGraph(ids, directed ? "directed" : "undirected");
  for (let i = 0; i < n; i++)
    for (let j = directed ? 0 : i + 1; j < n; j++) {
      const w = m[i]![j]!;
      if (w !== 0) link(graph, ids[i]!, ids[j]!, directed, w === 1 ? undefined : { weight: w });
    }
  return graph;
}
