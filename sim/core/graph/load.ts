import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { Graph } from "./graphology.js";
import { DOMParser } from "@xmldom/xmldom";
import { parse as parseGexf } from "graphology-gexf";
import type { Attributes, GraphType } from "graphology-types";
import { ConfigError } from "../errors.js";
import { GRAPH_FORMATS, type GraphConfig } from "./config.js";
import { emptyGraph, link } from "./edges.js";

export type FileGraphConfig = Extract<GraphConfig, { type: "file" }>;
type GraphFormat = (typeof GRAPH_FORMATS)[number];

const FORMAT_BY_EXTENSION: Record<string, GraphFormat> = {
  ".json": "json",
  ".gexf": "gexf",
  ".txt": "edgelist",
  ".csv": "edgelist",
  ".edges": "edgelist",
};

// graphology-gexf parses with xmldom (pinned to the version it depends on, so npm installs one
// copy),
// whose default parser merely logs malformed XML; a strict parser makes bad files fail loudly.

/**
 * Loads a graph file onto `ids`: file nodes map to ids in file order (edge lists: order of first
 * appearance) and keep their original key as attribute `label`.
 */
export function loadGraph(
  config: FileGraphConfig,
  ids: readonly string[],
  baseDir: string,
  prefix: string,
): Graph {
  const fail = (expected: string) => new ConfigError(`${prefix}.path`, config.path, expected);
  const format = config.format ?? FORMAT_BY_EXTENSION[extname(config.path).toLowerCase()];
  if (!format)
    throw fail(
      `a ${Object.keys(FORMAT_BY_EXTENSION).join(", ")} file, or an explicit format (${GRAPH_FORMATS.join(", ")})`,
    );
  if (format !== "edgelist" && config.directed !== undefined)
    throw new ConfigError(
      `${prefix}.directed`,
      config.directed,
      `no directed flag: ${format} files declare their own graph type`,
    );

  const file = resolve(baseDir, config.path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw fail(`a readable file at ${file} (${(error as Error).message})`);
  }
  let source: Graph;
  try {
    source =
      format === "json"
        ? Graph.from(parseJson(text) as Parameters<typeof Graph.from>[0])
        : format === "gexf"
          ? readGexf(text)
          : readEdgeList(text, config.directed ?? false);
  } catch (error) {
    throw fail(`a valid ${format} graph file (${(error as Error).message})`);
  }
  return mapOntoIds(source, ids, fail);
}

/**
 * JSON.parse's error quotes the text around the fault, which may hold anything (a key pasted into
 * the wrong file); this one gives the line and column instead.
 */
function parseJson(text: string): unknown {
  let message: string;
  try {
    return JSON.parse(text);
  } catch (error) {
    // Not kept as the cause: the cause is what must not be shown.
    message = (error as Error).message;
  }
  const position = /at position (\d+)/.exec(message)?.[1];
  const fault = message.replace(/,.*$|(\s*in JSON)?\s*at position \d+.*$/s, "");
  if (position === undefined) throw new Error(`invalid JSON (${fault})`);
  const before = text.slice(0, Number(position)).split("\n");
  throw new Error(
    `invalid JSON at line ${before.length}, column ${before.at(-1)!.length + 1} (${fault})`,
  );
}

function readGexf(text: string): Graph {
  const raise = (message: string) => {
    throw new Error(message.replace(/^\[xmldom \w+\]\s*/, "").replace(/\s*@#\[line.*$/s, ""));
  };
  // xmldom 0.8 reports some malformations (e.g. unclosed tags) only as warnings.
  const doc = new DOMParser({
    errorHandler: { warning: raise, error: raise, fatalError: raise },
  }).parseFromString(text, "application/xml");
  if (doc.getElementsByTagName("graph").length === 0) throw new Error("no <graph> element");
  return parseGexf(Graph, doc as never, { allowUndeclaredAttributes: true });
}

/**
 * Lines `a b`, `a,b` or `a b weight`; a lone `a` declares an isolated node; `#` starts a comment.
 */
function readEdgeList(text: string, directed: boolean): Graph {
  const graph = new Graph({
    type: directed ? "directed" : "undirected",
    multi: true,
    allowSelfLoops: true,
  });
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const fields = line.split(/\s*,\s*|\s+/);
    const [source, target, weight] = fields;
    // The line itself is never quoted: it may hold anything (a key pasted into the wrong file).
    if (fields.length > 3 || fields.includes(""))
      throw new Error(
        `line ${index + 1}: expected "source target [weight]", got ${fields.length} fields`,
      );
    if (weight !== undefined && !Number.isFinite(Number(weight)))
      throw new Error(`line ${index + 1}: the weight (third field) is not a number`);
    graph.mergeNode(source!);
    if (target === undefined) return;
    graph.mergeNode(target);
    graph.addEdge(source, target, weight === undefined ? {} : { weight: Number(weight) });
  });
  return graph;
}

function mapOntoIds(
  source: Graph,
  ids: readonly string[],
  fail: (expected: string) => ConfigError,
): Graph {
  if (source.order !== ids.length)
    throw fail(
      `a graph with as many nodes as the population (${ids.length}); the file has ${source.order}`,
    );
  const idOf = new Map(source.nodes().map((key, i) => [key, ids[i]!]));
  const graph = emptyGraph(ids, narrowType(source));
  source.forEachNode((key, attributes) =>
    graph.mergeNodeAttributes(idOf.get(key)!, { ...attributes, label: key }),
  );

  source.forEachEdge((_edge, attributes: Attributes, s, t, _sa, _ta, undirected) => {
    const where = `${s} ${undirected ? "--" : "->"} ${t}`;
    if (s === t) throw fail(`a graph without self-loops (found ${where})`);
    if (attributes.weight !== undefined && !Number.isFinite(attributes.weight))
      throw fail(`numeric edge weights (${where} has weight ${JSON.stringify(attributes.weight)})`);
    const [a, b] = [idOf.get(s)!, idOf.get(t)!];
    const existing = undirected ? graph.undirectedEdge(a, b) : graph.directedEdge(a, b);
    if (existing === undefined) return link(graph, a, b, !undirected, attributes);
    // Repeated edges (e.g. an undirected list naming both directions) merge if they agree.
    const before: unknown = graph.getEdgeAttribute(existing, "weight");
    if (before !== attributes.weight)
      throw fail(
        `one weight per edge (${where} appears with weights ${before ?? "none"} and ${attributes.weight ?? "none"})`,
      );
  });
  return graph;
}

/**
 * Mixed graphs (graphology's default, and GEXF's for edgeless files) become simple types when their
 * edges allow.
 */
function narrowType(graph: Graph): GraphType {
  if (graph.type !== "mixed") return graph.type;
  if (graph.undirectedSize === 0 && graph.directedSize > 0) return "directed";
  return graph.directedSize === 0 ? "undirected" : "mixed";
}
