/**
 * `agora report DIR`: reads a batch directory's tables and batch.json, computes the statistics and
 * writes the report files (report.html, summary.csv, comparisons.csv, series.csv and two SVG plots
 * per metric that varies) into DIR/report/ (or beside `--out FILE`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { readBatchFile } from "../batch/batch-file.js";
import { gridColumn } from "../batch/rows.js";
import { Rng } from "../../core/rng.js";
import { analyse, type Analysis, type AnalysisOptions } from "./analyse.js";
import { toCsv } from "./csv.js";
import { reportHtml, type MetricPlots } from "./html.js";
import { collectMethods } from "./methods.js";
import { finalsSvg, generationsSvg, plotFileStem } from "./svg.js";
import { loadTables } from "./tables.js";

export interface ReportOptions extends AnalysisOptions {
  /** The HTML file; default DIR/report/report.html. The other files go beside it. */
  out?: string;
}

export interface ReportResult {
  html: string;
  files: string[];
  analysis: Analysis;
}

export { plotFileStem };

/** summary.csv's columns; series.csv has the same with `generation` after `condition`. */
const SUMMARY_COLUMNS = [
  "metric",
  "condition",
  "n",
  "mean",
  "sd",
  "ci_low",
  "ci_high",
  "t_low",
  "t_high",
  "bca_low",
  "bca_high",
] as const;

export async function buildReport(dir: string, options: ReportOptions = {}): Promise<ReportResult> {
  const root = resolve(dir);
  const batch = readBatchFile(root);
  if (!batch)
    throw new Error(`${root} has no batch.json: is it a batch directory (agora batch --out DIR)?`);
  const tables = await loadTables(root);
  const analysis = analyse(
    tables,
    Object.keys(batch.grid).map(gridColumn),
    [...new Set(batch.runs.map((r) => r.conditionLabel))],
    options,
  );
  const methods = collectMethods(root, batch, tables.runs);
  const html = resolve(options.out ?? join(root, "report", "report.html"));
  const outDir = dirname(html);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const path = join(outDir, name);
    writeFileSync(path, text);
    files.push(path);
  };

  const plots: Record<string, MetricPlots> = {};
  const constant = new Set(analysis.constant.map((c) => c.metric));
  // A constant metric's plots would be flat lines: the report gives it one line instead.
  for (const metric of analysis.metrics.filter((m) => !constant.has(m))) {
    const runs = analysis.runValues[metric]!;
    const generations = generationsSvg(
      `${metric} over generations (mean, 95% CI, seeds)`,
      metric,
      analysis.conditions.map((condition) => ({
        condition,
        points: analysis.series
          .filter((r) => r.metric === metric && r.condition === condition)
          .map((r) => ({
            generation: r.generation,
            mean: r.mean,
            ciLow: r.ci_low,
            ciHigh: r.ci_high,
          })),
        runs: runs.filter((r) => r.condition === condition).map((r) => r.points),
      })),
    );
    const finals = finalsSvg(
      `final ${metric} per condition`,
      metric,
      analysis.conditions.map((condition) => {
        const s = analysis.summary.find((r) => r.metric === metric && r.condition === condition)!;
        return {
          condition,
          values: runs
            .filter((r) => r.condition === condition && r.final !== null)
            .map((r) => r.final!),
          mean: s.mean,
          ciLow: s.ci_low,
          ciHigh: s.ci_high,
        };
      }),
      new Rng(analysis.seed, ["report", "jitter", metric]),
    );
    plots[metric] = { generations, finals };
    write(`${plotFileStem(metric)}-generations.svg`, generations);
    write(`${plotFileStem(metric)}-final.svg`, finals);
  }
  write("summary.csv", toCsv(analysis.summary, [...SUMMARY_COLUMNS]));
  write(
    "comparisons.csv",
    toCsv(analysis.comparisons, [
      "metric",
      "reference",
      "condition",
      "n_reference",
      "n_condition",
      "diff",
      "ci_low",
      "ci_high",
      "p",
      "permutations",
      "t_low",
      "t_high",
      "hedges_g",
    ]),
  );
  write(
    "series.csv",
    toCsv(analysis.series, ["metric", "condition", "generation", ...SUMMARY_COLUMNS.slice(2)]),
  );
  write(basename(html), reportHtml(methods, analysis, plots));
  return { html, files, analysis };
}
