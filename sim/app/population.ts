import type { LoadedConfig } from "../core/config.js";
import { buildSocialGraph } from "../core/graph/index.js";
import { agentId } from "../core/ids.js";
import { Rng } from "../core/rng.js";
import type { InitialAgent } from "../core/scenario.js";

/**
 * A run's first agents and social graph: light (no LLM stack), so `agora validate` can build them
 * too.
 */

/** The first generation: ids g1-a1 … g1-aN with the minds the config assigns, in config order. */
export function firstGeneration(loaded: LoadedConfig): InitialAgent[] {
  return loaded.minds.map((mind, i) => ({ id: agentId(1, i + 1), mind }));
}

/**
 * The social graph over the first generation's ids (its slots), from the graph's own seeded stream.
 */
export function socialGraph(loaded: LoadedConfig, agents: readonly InitialAgent[]) {
  return buildSocialGraph(
    loaded.config.graph,
    agents.map((a) => a.id),
    new Rng(loaded.config.seed).derive("graph"),
    { baseDir: loaded.baseDir },
  );
}
