import type { Attributes } from "./attributes.js";
import type { ExportGraph } from "./interaction-graph.js";

/**
 * networkx's node-link JSON: `directed`, `multigraph`, `graph` (the graph's attributes), `nodes`
 * ({ id, ...attributes }) and `links` ({ source, target, ...attributes }). "links" is the key every
 * networkx reads: the only one before 3.4, and with `nx.node_link_graph(data, edges="links")` from
 * 3.4 on (whose default became "edges" in 3.6).
 */
export interface NodeLink {
  directed: boolean;
  multigraph: false;
  graph: Attributes;
  nodes: ({ id: string } & Attributes)[];
  links: ({ source: string; target: string } & Attributes)[];
}

/** Attributes without the names node-link reserves (the ids and endpoints win). */
const without = (attributes: object, reserved: readonly string[]): Attributes =>
  Object.fromEntries(
    Object.entries(attributes as Attributes).filter(([k]) => !reserved.includes(k)),
  );

export function toNodeLink(graph: ExportGraph): NodeLink {
  const nodes: NodeLink["nodes"] = [];
  graph.forEachNode((id, attributes) => nodes.push({ id, ...without(attributes, ["id"]) }));
  const links: NodeLink["links"] = [];
  graph.forEachEdge((_edge, attributes, source, target) =>
    links.push({ source, target, ...without(attributes, ["source", "target", "key"]) }),
  );
  return {
    directed: graph.type !== "undirected",
    multigraph: false,
    graph: graph.getAttributes() as Attributes,
    nodes,
    links,
  };
}
