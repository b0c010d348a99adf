import { ConfigError } from "../../sim/core/errors.js";
import type { GraphConfig } from "../../sim/core/graph/index.js";
import type { TransmissionConfig } from "./config.js";

/**
 * Chain mode (the telephone game): the population splits into `count` chains of `length`
 * consecutive agents; in generation g the g-th agent of every chain writes, seeing only the text
 * its predecessor wrote in generation g-1 (generation 1: the chain's seed text, if any).
 */
export interface ChainLayout {
  count: number;
  length: number;
}

export function chainCount(section: Pick<TransmissionConfig, "chains" | "seeds">): number {
  return section.chains ?? Math.max(1, section.seeds.length);
}

/**
 * The chains of a chain-mode config over a population of `size`; throws a ConfigError when they do
 * not fit.
 */
export function chainLayout(section: TransmissionConfig, size: number): ChainLayout {
  const count = chainCount(section);
  if (section.seeds.length > 0 && section.seeds.length !== count)
    throw new ConfigError(
      "transmission.chains",
      count,
      `one chain per seed text (${section.seeds.length} seeds)`,
    );
  if (size % count !== 0)
    throw new ConfigError(
      "population.size",
      size,
      `a multiple of the number of chains (${count}): each chain has its own agents`,
    );
  return { count, length: size / count };
}

/** Each agent of a chain writes once, so a run cannot be longer than a chain. */
export function checkChainLength(layout: ChainLayout, generations: number): void {
  if (generations > layout.length)
    throw new ConfigError(
      "generations",
      generations,
      `at most the chain length ${layout.length} (population.size / chains): each agent of a chain writes once`,
    );
}

/** Index in the population of the agent writing chain `chain`'s text in `generation`. */
export const writerIndex = (layout: ChainLayout, chain: number, generation: number): number =>
  chain * layout.length + generation - 1;

/**
 * Chain mode never reads the social graph (each agent hears its chain predecessor), so the graph a
 * run records and the viewer draws must be the chains themselves: `paths` with one path per chain
 * (its paths are the chains' consecutive agents, as `writerIndex` assigns them), or, for a single
 * chain, the same edges as `chain` (directed) or `llm-culture` `sequence`.
 */
export function checkChainGraph(graph: GraphConfig, layout: ChainLayout): void {
  if (graph.type === "paths") {
    if (graph.count !== layout.count)
      throw new ConfigError(
        "graph.count",
        graph.count,
        `the number of chains (${layout.count}): one path per chain`,
      );
    return;
  }
  const single =
    layout.count === 1 &&
    ((graph.type === "chain" && graph.directed) ||
      (graph.type === "llm-culture" && graph.structure === "sequence"));
  if (!single)
    throw new ConfigError(
      "graph.type",
      graph.type,
      `paths (graph: { type: paths, count: ${layout.count} }) in chain mode: the agents hear only their chain predecessor, so the graph must draw the chains`,
    );
}
