import type { Graph } from "./graphology.js";
import type { Rng } from "../rng.js";
import { parseGraphConfig, type GraphConfigInput } from "./config.js";
import { generateGraph } from "./generators.js";
import { loadGraph } from "./load.js";

export interface BuildGraphOptions {
  /** Directory that relative file paths resolve against (default: the working directory). */
  baseDir?: string;
  /** Dotted prefix for error paths (default "graph"). */
  path?: string;
}

/**
 * The interaction graph over `nodeIds` (the population, in order). The config is validated here
 * too, so unchecked configs fail with a ConfigError rather than a malformed graph.
 */
export function buildGraph(
  config: GraphConfigInput,
  nodeIds: readonly string[],
  rng: Rng,
  opts: BuildGraphOptions = {},
): Graph {
  const prefix = opts.path ?? "graph";
  const parsed = parseGraphConfig(config, prefix);
  return parsed.type === "file"
    ? loadGraph(parsed, nodeIds, opts.baseDir ?? process.cwd(), prefix)
    : generateGraph(parsed, nodeIds, rng, prefix);
}
