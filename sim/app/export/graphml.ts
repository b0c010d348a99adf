import { DOMImplementation, XMLSerializer } from "@xmldom/xmldom";
import { xmlSafe, type Attributes, type Scalar } from "./attributes.js";
import type { ExportGraph } from "./interaction-graph.js";

const GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns";
const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";

type KeyFor = "graph" | "node" | "edge";
type AttrType = "boolean" | "int" | "long" | "double" | "string";

/**
 * An attribute's GraphML type from all its values: boolean or numeric when every value is, int
 * while the integers fit 32 bits, else text. A value of another type makes the whole column text,
 * as GEXF's writer does.
 */
function attrType(values: readonly Scalar[]): AttrType {
  if (values.every((v) => typeof v === "boolean")) return "boolean";
  if (!values.every((v) => typeof v === "number")) return "string";
  if (!values.every((v) => Number.isInteger(v))) return "double";
  return values.every((v) => Math.abs(v as number) <= 0x7fffffff) ? "int" : "long";
}

interface Key {
  id: string;
  name: string;
  type: AttrType;
}

/** The declared keys of one domain (graph, node or edge), in first-seen order. */
function keysOf(prefix: string, elements: readonly Attributes[]): Key[] {
  const values = new Map<string, Scalar[]>();
  for (const attributes of elements)
    for (const [name, value] of Object.entries(attributes)) {
      const seen = values.get(name);
      if (seen) seen.push(value);
      else values.set(name, [value]);
    }
  return [...values].map(([name, vs], i) => ({ id: `${prefix}${i}`, name, type: attrType(vs) }));
}

/**
 * GraphML written with xmldom: typed `<key>` declarations (attr.name, attr.type) for the graph's,
 * nodes' and edges' attributes, then one `<graph>` with the graph's `<data>` first, the nodes and
 * the edges (ids kept). Readable by networkx (read_graphml), Gephi, igraph and yEd.
 */
export function toGraphml(graph: ExportGraph): string {
  const doc = new DOMImplementation().createDocument(GRAPHML_NS, "graphml", null);
  const root = doc.documentElement;
  root.setAttribute("xmlns:xsi", XSI_NS);
  root.setAttribute(
    "xsi:schemaLocation",
    `${GRAPHML_NS} http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd`,
  );
  const element = (
    parent: Element,
    name: string,
    attributes: Record<string, string>,
    depth = 1,
  ) => {
    // Indentation, so the file reads well in an editor; readers ignore it between elements.
    parent.appendChild(doc.createTextNode(`\n${"  ".repeat(depth)}`));
    const child = doc.createElementNS(GRAPHML_NS, name);
    for (const [k, v] of Object.entries(attributes)) child.setAttribute(k, v);
    parent.appendChild(child);
    return child;
  };
  const close = (parent: Element, depth: number) =>
    parent.appendChild(doc.createTextNode(`\n${"  ".repeat(depth)}`));

  const nodes: [string, Attributes][] = [];
  graph.forEachNode((node, attributes) => nodes.push([node, attributes as Attributes]));
  const edges: [string, string, string, Attributes][] = [];
  graph.forEachEdge((edge, attributes, source, target) =>
    edges.push([edge, source, target, attributes as Attributes]),
  );
  const graphAttributes = graph.getAttributes() as Attributes;
  const keys: Record<KeyFor, Key[]> = {
    graph: keysOf("g", [graphAttributes]),
    node: keysOf(
      "n",
      nodes.map(([, a]) => a),
    ),
    edge: keysOf(
      "e",
      edges.map(([, , , a]) => a),
    ),
  };
  for (const domain of ["graph", "node", "edge"] as const)
    for (const key of keys[domain])
      element(root, "key", {
        id: key.id,
        for: domain,
        "attr.name": key.name,
        "attr.type": key.type,
      });

  const data = (parent: Element, domain: KeyFor, attributes: Attributes, depth: number) => {
    for (const key of keys[domain]) {
      const value = attributes[key.name];
      if (value === undefined) continue;
      element(parent, "data", { key: key.id }, depth).appendChild(
        doc.createTextNode(typeof value === "string" ? xmlSafe(value) : String(value)),
      );
    }
  };
  const graphElement = element(root, "graph", {
    id: "G",
    edgedefault: graph.type === "undirected" ? "undirected" : "directed",
  });
  data(graphElement, "graph", graphAttributes, 2);
  for (const [id, attributes] of nodes) {
    const node = element(graphElement, "node", { id }, 2);
    data(node, "node", attributes, 3);
    close(node, 2);
  }
  for (const [id, source, target, attributes] of edges) {
    const edge = element(graphElement, "edge", { id, source, target }, 2);
    data(edge, "edge", attributes, 3);
    close(edge, 2);
  }
  close(graphElement, 1);
  close(root, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}\n`;
}
