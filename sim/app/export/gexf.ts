import { write } from "graphology-gexf";
import type { Attributes as GraphologyAttributes } from "graphology-types";
import { xmlSafe, type Attributes } from "./attributes.js";
import type { ExportGraph } from "./interaction-graph.js";

const safe = (attributes: GraphologyAttributes): Attributes =>
  Object.fromEntries(
    Object.entries(attributes as Attributes).map(([k, v]) => [
      k,
      typeof v === "string" ? xmlSafe(v) : v,
    ]),
  );

/**
 * GEXF 1.2 by graphology-gexf's writer, which declares each attribute's type from its values.
 * Every node attribute but `label`, and every edge attribute but `weight`, is a declared attribute
 * (none goes to GEXF's viz, whatever its name). Pedantic mode keeps only the meta elements GEXF
 * defines (creator, description), so strict readers (Gephi) accept the file.
 */
export function toGexf(graph: ExportGraph): string {
  return write(graph, {
    pedantic: true,
    formatNode: (key, attributes) => {
      const { label, ...rest } = safe(attributes);
      return { label: String(label ?? key), attributes: rest };
    },
    formatEdge: (_key, attributes) => {
      const { weight, ...rest } = safe(attributes);
      return { ...(typeof weight === "number" ? { weight } : {}), attributes: rest };
    },
  });
}
