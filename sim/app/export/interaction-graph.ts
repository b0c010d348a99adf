import { Graph } from "../../core/graph/graphology.js";
import { link } from "../../core/graph/edges.js";
import { serializedGraph, type SerializedGraph } from "../../core/graph/compact.js";
import { finalAgentAttributes, isScalar, joinIds, type Attributes } from "./attributes.js";
import type { GraphKind } from "./formats.js";
import type { RunData } from "./run-data.js";

/** The graph an export writes; its attributes are all scalars (see attributes.ts). */
export type ExportGraph = Graph;

export function graphOf(run: RunData, kind: GraphKind): ExportGraph {
  return kind === "social" ? socialGraph(run) : interactionGraph(run);
}

const DESCRIBED = { interactions: "interaction graph", social: "social graph", lineage: "lineage" };

/** What the graph-level attributes say about the run, in every graph format. */
export function runAttributes(run: RunData, kind: keyof typeof DESCRIBED): Attributes {
  const { manifest } = run;
  const what = DESCRIBED[kind];
  return {
    creator: `Agora ${run.started.agoraVersion}`,
    description: `Agora ${what} of run ${manifest.runId} (${manifest.scenario}, seed ${manifest.seed})`,
    agoraGraph: kind,
    runId: manifest.runId,
    scenario: manifest.scenario,
    seed: manifest.seed,
    status: manifest.status,
    generationsCompleted: manifest.generationsCompleted,
  };
}

/**
 * Every agent of the run, with a directed edge from -> to per pair that interacted: `weight` (the
 * number of interactions), `<kind>_count` per interaction kind and `<kind>_<field>_sum` per numeric
 * field of that kind's data (a donation's `amount`...). Interactions without a recipient are no
 * edges: each agent counts its own as `untargeted_<kind>_count` and
 * `untargeted_<kind>_<field>_sum`. Every edge (node) carries every count and sum, 0 where it had
 * none, so tables have no gaps.
 */
export function interactionGraph(run: RunData): ExportGraph {
  const graph = new Graph({ type: "directed", multi: false, allowSelfLoops: true });
  graph.replaceAttributes(runAttributes(run, "interactions"));
  for (const agent of run.agents)
    graph.addNode(agent.id, finalAgentAttributes(agent, run.lastRows.get(agent.id)));

  const edgeTotals = new Map<string, Record<string, number>>();
  const nodeTotals = new Map<string, Record<string, number>>();
  const edgeKeys = new Set<string>();
  const nodeKeys = new Set<string>();
  for (const e of run.events) {
    if (e.type !== "interaction") continue;
    const targeted = e.to !== null;
    const id = targeted ? `${e.from}->${e.to}` : e.from;
    const prefix = targeted ? e.kind : `untargeted_${e.kind}`;
    const totals = targeted ? edgeTotals : nodeTotals;
    const keys = targeted ? edgeKeys : nodeKeys;
    const sums = totals.get(id) ?? {};
    totals.set(id, sums);
    const add = (key: string, n: number) => {
      keys.add(key);
      sums[key] = (sums[key] ?? 0) + n;
    };
    add(`${prefix}_count`, 1);
    if (targeted) add("weight", 1);
    for (const [field, value] of Object.entries(e.data))
      if (typeof value === "number" && Number.isFinite(value)) add(`${prefix}_${field}_sum`, value);
    // An interaction may name an agent the log never created (an imported run): keep it a node.
    graph.mergeNode(e.from, { label: e.from });
    if (targeted) {
      graph.mergeNode(e.to!, { label: e.to! });
      if (!graph.hasEdge(e.from, e.to!)) link(graph, e.from, e.to!, true);
    }
  }
  const zeros = (keys: Set<string>) => Object.fromEntries([...keys].sort().map((k) => [k, 0]));
  const noEdgeTotals = zeros(edgeKeys);
  graph.forEachEdge((edge, _attributes, source, target) =>
    graph.replaceEdgeAttributes(edge, {
      ...noEdgeTotals,
      ...edgeTotals.get(`${source}->${target}`),
    }),
  );
  const noNodeTotals = zeros(nodeKeys);
  graph.forEachNode((node, attributes) =>
    graph.replaceNodeAttributes(node, { ...attributes, ...noNodeTotals, ...nodeTotals.get(node) }),
  );
  return graph;
}

/**
 * The social graph the run was played on (run-started's `graph`: slots and who may meet whom),
 * with the graph file's scalar attributes and each slot's `occupants` (the agents that held it, in
 * order). A mixed graph is written directed, each undirected edge as two arcs (an explicit arc
 * between the same nodes is kept as it is), since networkx graphs are directed or not as a whole.
 */
export function socialGraph(run: RunData): ExportGraph {
  const recorded = serializedGraph(run.started.graph);
  const undirected = recorded.edges.filter((e) => e.undirected === true).length;
  const type =
    recorded.options?.type === "undirected" ||
    (recorded.edges.length > 0 && undirected === recorded.edges.length)
      ? "undirected"
      : "directed";
  const graph = new Graph({ type, multi: false, allowSelfLoops: true });
  graph.replaceAttributes(runAttributes(run, "social"));
  const occupants = new Map<string, string[]>();
  for (const agent of run.agents)
    occupants.set(agent.slot, [...(occupants.get(agent.slot) ?? []), agent.id]);
  for (const node of recorded.nodes)
    graph.addNode(node.key, {
      label: node.key,
      ...scalars(node.attributes),
      occupants: joinIds(occupants.get(node.key) ?? []),
    });
  const isUndirected = (e: SerializedGraph["edges"][number]) =>
    type === "undirected" || e.undirected === true;
  // Explicit arcs first, so a mixed graph's doubled undirected edges never replace one.
  const ordered = [
    ...recorded.edges.filter((e) => !isUndirected(e)),
    ...recorded.edges.filter(isUndirected),
  ];
  for (const e of ordered) {
    const attributes = scalars(e.attributes);
    const pairs: [string, string][] =
      type === "directed" && isUndirected(e)
        ? [
            [e.source, e.target],
            [e.target, e.source],
          ]
        : [[e.source, e.target]];
    for (const [source, target] of pairs)
      if (!graph.hasEdge(source, target))
        link(graph, source, target, type === "directed", attributes);
  }
  return graph;
}

const scalars = (attributes: Record<string, unknown> | undefined): Attributes =>
  Object.fromEntries(Object.entries(attributes ?? {}).filter(([, v]) => isScalar(v))) as Attributes;
