import { z } from "zod";
import { ConfigError } from "../errors.js";
import { LIMITS } from "../limits.js";

// Messages are phrased as the "expected ..." part of a ConfigError. No count here can exceed the
// population, whose bound keeps them all small.
const intAtLeast = (min: number) => {
  const error = `an integer >= ${min}`;
  return z
    .int({ error })
    .min(min, { error })
    .max(LIMITS.populationSize, { error: `an integer <= ${LIMITS.populationSize}` });
};
const probability = () => {
  const error = "a probability in [0, 1]";
  return z.number({ error }).min(0, { error }).max(1, { error });
};
const bool = () => z.boolean({ error: "true or false" });

export const GRAPH_FORMATS = ["json", "gexf", "edgelist"] as const;

const sbmSchema = z
  .strictObject({
    type: z.literal("sbm"),
    sizes: z
      .array(intAtLeast(1), { error: "a list of block sizes" })
      .min(1, { error: "at least one block" })
      .max(LIMITS.populationSize, { error: `at most ${LIMITS.populationSize} blocks` }),
    p: z.array(z.array(probability(), { error: "a matrix row" }), {
      error: "a square matrix of probabilities",
    }),
    directed: bool().default(false),
  })
  .superRefine((cfg, ctx) => {
    const k = cfg.sizes.length;
    const shape = `a ${k}x${k} matrix (one row and column per block)`;
    if (cfg.p.length !== k)
      return void ctx.addIssue({ code: "custom", path: ["p"], message: shape });
    const badRow = cfg.p.findIndex((row) => row.length !== k);
    if (badRow >= 0)
      return void ctx.addIssue({ code: "custom", path: ["p", badRow], message: shape });
    if (cfg.directed) return;
    for (let i = 0; i < k; i++)
      for (let j = i + 1; j < k; j++)
        if (cfg.p[i]![j] !== cfg.p[j]![i])
          ctx.addIssue({
            code: "custom",
            path: ["p", i, j],
            message: `a symmetric matrix for an undirected graph (p[${j}][${i}] is ${cfg.p[j]![i]})`,
          });
  });

// A ring (dimensions 1: each node linked to its k/2 nearest on either side) or a torus (dimensions
// 2: rows x cols, each cell linked to its 4 von Neumann or 8 Moore neighbours, wrapping both ways).
// One object checked here rather than a union on `dimensions`, whose mismatch errors would name the
// whole object instead of the field.
const latticeSchema = z
  .strictObject({
    type: z.literal("lattice"),
    dimensions: z.literal([1, 2], { error: "1 (a ring) or 2 (a torus)" }),
    k: intAtLeast(1),
    // Below 3 a wrapped dimension would need duplicate edges or self-loops, as for the torus.
    rows: intAtLeast(3).optional(),
    cols: intAtLeast(3).optional(),
  })
  .superRefine((cfg, ctx) => {
    const issue = (key: "k" | "rows" | "cols", message: string) =>
      ctx.addIssue({ code: "custom", path: [key], input: cfg[key], message });
    if (cfg.dimensions === 1) {
      if (cfg.k % 2 !== 0) issue("k", "an even integer >= 2 for a ring lattice (dimensions: 1)");
      for (const key of ["rows", "cols"] as const)
        if (cfg[key] !== undefined)
          issue(key, "no rows or cols with dimensions: 1 (a ring; they size a 2-D lattice)");
      return;
    }
    if (cfg.k !== 4 && cfg.k !== 8)
      issue("k", "4 (von Neumann) or 8 (Moore) for a 2-D lattice (dimensions: 2)");
    for (const key of ["rows", "cols"] as const)
      if (cfg[key] === undefined) issue(key, "an integer >= 3: a 2-D lattice needs rows and cols");
  });

export const graphConfigSchema = z
  .discriminatedUnion(
    "type",
    [
      z.strictObject({ type: z.literal("complete") }),
      z.strictObject({ type: z.literal("cycle") }),
      z.strictObject({ type: z.literal("chain"), directed: bool().default(true) }),
      // `count` disjoint directed chains of consecutive nodes (the transmission scenario's chain
      // mode).
      z.strictObject({ type: z.literal("paths"), count: intAtLeast(1).default(1) }),
      z.strictObject({ type: z.literal("star"), center: intAtLeast(0).default(0) }),
      z.strictObject({ type: z.literal("grid"), rows: intAtLeast(1), cols: intAtLeast(1) }),
      // Below 3 a wrapped dimension would need duplicate edges or self-loops.
      z.strictObject({ type: z.literal("torus"), rows: intAtLeast(3), cols: intAtLeast(3) }),
      z.strictObject({
        type: z.literal("erdos-renyi"),
        p: probability(),
        directed: bool().default(false),
      }),
      z.strictObject({
        type: z.literal("watts-strogatz"),
        k: intAtLeast(2).refine((k) => k % 2 === 0, { error: "an even integer >= 2" }),
        beta: probability(),
      }),
      z.strictObject({ type: z.literal("barabasi-albert"), m: intAtLeast(1) }),
      // Simple and undirected, every node of degree k, drawn from the run's graph stream.
      z.strictObject({ type: z.literal("random-regular"), k: intAtLeast(1) }),
      latticeSchema,
      // size >= 3: with 2-node cliques the rewired edge is the clique's only edge and the graph
      // falls apart.
      z.strictObject({
        type: z.literal("connected-caveman"),
        cliques: intAtLeast(2),
        size: intAtLeast(3),
      }),
      sbmSchema,
      // LLM-Culture's four networks as its code builds them with networkx, in networkx's edge
      // order.
      z.strictObject({
        type: z.literal("llm-culture"),
        structure: z.enum(["sequence", "circle", "caveman", "fully_connected"], {
          error: "one of sequence, circle, caveman, fully_connected",
        }),
        cliques: intAtLeast(1).default(2),
      }),
      // An inline adjacency matrix: matrix[i][j] != 0 is an edge from node i to node j, weighted by
      // the value.
      z.strictObject({
        type: z.literal("adjacency"),
        matrix: z.array(z.array(z.number({ error: "a number" }), { error: "a matrix row" }), {
          error: "a square matrix of numbers",
        }),
        directed: bool().optional(),
      }),
      z.strictObject({
        type: z.literal("file"),
        path: z.string({ error: "a file path" }).min(1, { error: "a file path" }),
        format: z.enum(GRAPH_FORMATS, { error: `one of ${GRAPH_FORMATS.join(", ")}` }).optional(),
        // Edge lists only; JSON and GEXF files declare their own type.
        directed: bool().optional(),
      }),
    ],
    {
      error:
        "an object whose type is one of complete, cycle, chain, paths, star, grid, torus, lattice, erdos-renyi, watts-strogatz, barabasi-albert, random-regular, connected-caveman, sbm, llm-culture, adjacency, file",
    },
  )
  .default({ type: "complete" });

export type GraphConfig = z.infer<typeof graphConfigSchema>;
/** What callers may write: defaults not yet applied. */
export type GraphConfigInput = z.input<typeof graphConfigSchema>;

/**
 * Why the graph `config` on `n` agents is too large to build, or undefined: its edges (expected
 * edges for random graphs, which also draw once per node pair) against LIMITS. Files and matrices
 * are bounded by their own size, the implicit complete graph by the population's.
 */
export function graphSizeProblem(config: GraphConfig, n: number): string | undefined {
  const pairs = (n * (n - 1)) / 2;
  let edges = 0;
  let drawn = 0;
  switch (config.type) {
    case "complete":
      // Implicit (social.ts): no edge is stored, so only the population bound applies.
      return undefined;
    case "cycle":
    case "chain":
    case "paths":
    case "star":
      edges = n;
      break;
    case "grid":
    case "torus":
      edges = 2 * n;
      break;
    case "watts-strogatz":
    case "random-regular":
    case "lattice":
      edges = (n * config.k) / 2;
      break;
    case "barabasi-albert":
      edges = n * config.m;
      break;
    case "connected-caveman":
      edges = (n * config.size) / 2;
      break;
    case "erdos-renyi":
      drawn = config.directed ? 2 * pairs : pairs;
      edges = drawn * config.p;
      break;
    case "sbm":
      drawn = config.directed ? 2 * pairs : pairs;
      edges = drawn * Math.max(...config.p.flat());
      break;
    case "llm-culture":
      edges =
        config.structure === "fully_connected"
          ? pairs
          : config.structure === "caveman"
            ? (n * n) / config.cliques / 2
            : n;
      break;
    case "adjacency":
    case "file":
      return undefined;
  }
  const count = (x: number) => Math.round(x).toLocaleString("en-US");
  if (drawn > LIMITS.graphPairs)
    return `a graph that draws at most ${count(LIMITS.graphPairs)} node pairs: ${config.type} on ${n} agents draws ${count(drawn)} (use fewer agents)`;
  if (edges > LIMITS.graphEdges)
    return `a graph of at most ${count(LIMITS.graphEdges)} edges: ${config.type} on ${n} agents has ${drawn > 0 ? "an expected " : ""}${count(edges)} (use a sparser graph or fewer agents)`;
  return undefined;
}

/** Validates a graph config, turning the first zod issue into a ConfigError under `prefix`. */
export function parseGraphConfig(config: unknown, prefix: string): GraphConfig {
  const result = graphConfigSchema.safeParse(config);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
  const value = path.reduce<unknown>(
    (v, key) => (v as Record<PropertyKey, unknown> | undefined)?.[key],
    config,
  );
  const expected =
    issue.code === "unrecognized_keys" ? "no such option for this graph type" : issue.message;
  throw new ConfigError([prefix, ...path.map(String)].join("."), value, expected);
}
