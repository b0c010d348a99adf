/**
 * `agora export FORMAT DIR --out PATH`: a run directory in a standard format (docs/export.md), or
 * each run of a batch directory into a directory. Exports only read the run; they never write into
 * it.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { UsageError } from "../../core/errors.js";
import { writeTextAtomic } from "../../core/recorder.js";
import { BATCH_FILE, readBatchFile } from "../batch/batch-file.js";
import { runDirOf } from "../batch/rows.js";
import { EXPORT_FORMATS, type ExportFormat, type GraphKind } from "./formats.js";
import { toGexf } from "./gexf.js";
import { toGraphml } from "./graphml.js";
import { graphOf } from "./interaction-graph.js";
import { lineageCsv, lineageGraph } from "./lineage.js";
import { toNodeLink } from "./node-link.js";
import { isRunDir, readRun, type RunData } from "./run-data.js";
import { transcripts } from "./transcripts.js";

export { EXPORT_FORMATS, GRAPH_KINDS, type ExportFormat, type GraphKind } from "./formats.js";

export interface ExportOptions {
  /** A file for a run (or a directory to put it in), a directory for a batch. */
  out: string;
  /** For the graph formats: the interaction graph (default) or the social graph. */
  graph?: GraphKind;
}

export interface ExportedFile {
  runId: string;
  path: string;
  /** What the file holds, in a few words ("12 nodes, 30 edges"). */
  summary: string;
  /** Something the user should know (an empty file and why). */
  note?: string;
}

export interface ExportResult {
  files: ExportedFile[];
  /** Runs of a batch that have no run directory yet (pending), so nothing was written for them. */
  skipped: string[];
}

interface Rendered {
  text: string;
  summary: string;
  note?: string;
}

function render(run: RunData, format: ExportFormat, graphKind: GraphKind): Rendered {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const counted = (graph: { order: number; size: number }) =>
    `${graph.order} node(s), ${graph.size} edge(s)`;
  switch (format) {
    case "gexf":
    case "graphml":
    case "node-link": {
      const graph = graphOf(run, graphKind);
      const text =
        format === "gexf"
          ? toGexf(graph)
          : format === "graphml"
            ? toGraphml(graph)
            : json(toNodeLink(graph));
      const what = graphKind === "social" ? "social graph" : "interaction graph";
      return { text, summary: `${what}, ${counted(graph)}` };
    }
    case "lineage": {
      const graph = lineageGraph(run);
      return { text: json(toNodeLink(graph)), summary: `lineage, ${counted(graph)}` };
    }
    case "lineage-csv":
      return { text: lineageCsv(run), summary: `lineage, ${run.agents.length} agent(s)` };
    case "transcripts": {
      const { lines, calls, withoutMessages } = transcripts(run);
      const note =
        calls === 0
          ? "the run made no LLM calls (policy minds make none): the file is empty"
          : withoutMessages > 0
            ? `${withoutMessages} of ${calls} LLM call(s) recorded no messages (llm.transcripts was off) and are left out`
            : undefined;
      return {
        text: lines.map((line) => `${JSON.stringify(line)}\n`).join(""),
        summary: `${lines.length} LLM call(s)`,
        ...(note !== undefined ? { note } : {}),
      };
    }
  }
}

/** Written whole or not at all: a reader never sees half an export. */
function writeExport(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeTextAtomic(path, text);
}

const isInside = (path: string, dir: string): boolean => {
  const r = relative(dir, path);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
};

const isDirectory = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

export function exportPath(
  path: string,
  format: ExportFormat,
  options: ExportOptions,
): ExportResult {
  const graphKind = options.graph ?? "interactions";
  const dir = resolve(path);
  const out = resolve(options.out);
  const { extension } = EXPORT_FORMATS[format];
  const one = (run: RunData, file: string): ExportedFile => {
    const rendered = render(run, format, graphKind);
    writeExport(file, rendered.text);
    return {
      runId: run.manifest.runId,
      path: file,
      summary: rendered.summary,
      ...(rendered.note !== undefined ? { note: rendered.note } : {}),
    };
  };

  if (!existsSync(join(dir, BATCH_FILE))) {
    const run = readRun(dir);
    if (isInside(out, dir))
      throw new UsageError(
        `--out: ${out} is inside the run directory ${dir}; exports never write into a run directory`,
      );
    // An existing directory, or a path ending in a slash, receives the file under the run's id.
    const intoDir = isDirectory(out) || /[\\/]$/.test(options.out);
    const file = intoDir ? join(out, `${run.manifest.runId}${extension}`) : out;
    return { files: [one(run, file)], skipped: [] };
  }

  const batch = readBatchFile(dir)!;
  if (existsSync(out) && !isDirectory(out))
    throw new UsageError(
      `--out: ${out} is a file; a batch (${dir}) exports one file per run into a directory`,
    );
  for (const entry of batch.runs)
    if (isInside(out, runDirOf(dir, entry.id)))
      throw new UsageError(
        `--out: ${out} is inside the run directory ${runDirOf(dir, entry.id)}; exports never write into a run directory`,
      );
  const files: ExportedFile[] = [];
  const skipped: string[] = [];
  for (const entry of batch.runs) {
    const runDir = runDirOf(dir, entry.id);
    if (!isRunDir(runDir)) {
      skipped.push(entry.id);
      continue;
    }
    files.push(one(readRun(runDir), join(out, `${entry.id}${extension}`)));
  }
  return { files, skipped };
}
