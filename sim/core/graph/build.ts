import type { Graph } from "./graphology.js";
import type { Rng } from "../rng.js";
import { parseGraphConfig, type GraphConfig, type GraphConfigInput } from "./config.js";
import { generateGraph, requirePopulation } from "./generators.js";
import { loadGraph } from "./load.js";
import { CompleteGraph, ExplicitGraph, type SocialGraph } from "./social.js";

export interface BuildGraphOptions {
  /** Directory that relative file paths resolve against (default: the working directory). */
  baseDir?: string;
  /** Dotted prefix for error paths (default "graph"). */
  path?: string;
}

/**
 * The interaction graph over `nodeIds` (the population, in order), every edge stored. The config
 * is validated here too, so unchecked configs fail with a ConfigError, not a malformed graph.
 */
export function buildGraph(
  config: GraphConfigInput,
  nodeIds: readonly string[],
  rng: Rng,
  opts: BuildGraphOptions = {},
): Graph {
  const prefix = opts.path ?? "graph";
  return builtFrom(parseGraphConfig(config, prefix), nodeIds, rng, opts.baseDir, prefix);
}

/** buildGraph of a config already parsed (an inline matrix is checked once, not twice). */
function builtFrom(
  parsed: GraphConfig,
  nodeIds: readonly string[],
  rng: Rng,
  baseDir: string | undefined,
  prefix: string,
): Graph {
  return parsed.type === "file"
    ? loadGraph(parsed, nodeIds, baseDir ?? process.cwd(), prefix)
    : generateGraph(parsed, nodeIds, rng, prefix);
}

/**
 * The social graph a run uses (`ctx.graph`): the complete graph implicit, any other as buildGraph
 * builds it. Neither draws from `rng` for the complete graph, so both give the same runs.
 */
export function buildSocialGraph(
  config: GraphConfigInput,
  nodeIds: readonly string[],
  rng: Rng,
  opts: BuildGraphOptions = {},
): SocialGraph {
  const prefix = opts.path ?? "graph";
  const parsed = parseGraphConfig(config, prefix);
  if (parsed.type !== "complete")
    return new ExplicitGraph(builtFrom(parsed, nodeIds, rng, opts.baseDir, prefix));
  requirePopulation(parsed, nodeIds.length, 1, prefix);
  return new CompleteGraph(nodeIds);
}
