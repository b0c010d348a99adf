/**
 * The formats of `agora export` (docs/export.md). Kept free of the writers' imports so the CLI can
 * list them without loading any of them.
 */
export const EXPORT_FORMATS = {
  gexf: {
    extension: ".gexf",
    graph: true,
    description: "interaction graph (or --graph social) as GEXF 1.2, for Gephi and networkx",
  },
  graphml: {
    extension: ".graphml",
    graph: true,
    description: "interaction graph (or --graph social) as GraphML, for networkx, Gephi, igraph",
  },
  "node-link": {
    extension: ".node-link.json",
    graph: true,
    description: "interaction graph (or --graph social) as networkx node-link JSON",
  },
  lineage: {
    extension: ".lineage.json",
    graph: false,
    description: "the agents' family tree (parent -> child) as networkx node-link JSON",
  },
  "lineage-csv": {
    extension: ".lineage.csv",
    graph: false,
    description: "the agents' family tree as CSV: id,generation,parent (a row per parent)",
  },
  transcripts: {
    extension: ".transcripts.jsonl",
    graph: false,
    description: "the LLM calls as JSONL in the OpenAI chat format (messages + metadata)",
  },
} as const;

export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** Which graph of a run the graph formats write. */
export const GRAPH_KINDS = ["interactions", "social"] as const;
export type GraphKind = (typeof GRAPH_KINDS)[number];
