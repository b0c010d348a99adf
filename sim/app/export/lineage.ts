import { Graph } from "../../core/graph/graphology.js";
import { link } from "../../core/graph/edges.js";
import { toCsv } from "../report/csv.js";
import { agentAttributes } from "./attributes.js";
import { runAttributes, type ExportGraph } from "./interaction-graph.js";
import type { RunData } from "./run-data.js";

/**
 * The family tree (a forest, or a DAG where an agent has several parents): every agent of the run
 * with who it is (generation of birth, mind, slot...), and an arc parent -> child per parent.
 * Agents of the first generation are its roots.
 */
export function lineageGraph(run: RunData): ExportGraph {
  const graph = new Graph({ type: "directed", multi: false, allowSelfLoops: false });
  graph.replaceAttributes(runAttributes(run, "lineage"));
  for (const agent of run.agents) graph.addNode(agent.id, agentAttributes(agent));
  for (const agent of run.agents)
    for (const parent of agent.parents) {
      // A parent the log never created (an imported run) still gets its node.
      graph.mergeNode(parent, { label: parent });
      if (!graph.hasEdge(parent, agent.id)) link(graph, parent, agent.id, true);
    }
  return graph;
}

/** The tree as a table: `id,generation,parent`, a row per parent (parent empty for a root). */
export function lineageCsv(run: RunData): string {
  const rows = run.agents.flatMap((agent) =>
    (agent.parents.length > 0 ? agent.parents : [null]).map((parent) => ({
      id: agent.id,
      generation: agent.generation,
      parent,
    })),
  );
  return toCsv(rows, ["id", "generation", "parent"]);
}
