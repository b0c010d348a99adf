/**
 * The report reads well: a table of contents whose links all land, metrics that never vary in one
 * line each instead of tables and plots (their numbers still in the CSVs), a warning about
 * bootstrap intervals at few seeds, and the t / BCa / Welch / Hedges' g columns beside the
 * percentile bootstrap. The batch fixture gets extra metric columns for the constant cases.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport, type ReportResult } from "../sim/app/report/index.js";
import { writeBatchFixture, type FixtureRun } from "./support/batch-fixture.js";
import { tempDir } from "./support/llm-helpers.js";

const tmp = tempDir("report-readability");
const dir = join(tmp.path, "batch");
let runs: FixtureRun[] = [];
let result: ReportResult;
let html = "";

/**
 * Extra metrics: per run and generation (1-based) the value, or null for an empty field; `final`
 * adds the runs table's final_<metric> (else the report takes the last generation's value).
 */
const EXTRA: {
  name: string;
  final: boolean;
  value: (run: FixtureRun, g: number) => number | null;
}[] = [
  { name: "zeros", final: true, value: () => 0 },
  { name: "three", final: true, value: () => 3 },
  // Recorded only by the failed run, which the report leaves out.
  { name: "onlyFailed", final: true, value: (r) => (r.status === "completed" ? null : 1) },
  // The same final value everywhere, but it changes over generations: not constant.
  { name: "drifts", final: false, value: (_r, g) => g },
  // One value differs in one generation of one run: not constant.
  { name: "blip rate", final: false, value: (r, g) => (r.seed === 0 && g === 2 ? 1 : 0) },
  // Same anchor stem as "blip rate": the ids must still differ.
  { name: "blip_rate", final: true, value: () => 0 },
];
const VARYING = ["avgFinalResources", "cooperation", "drifts", "blip rate"];

/** Appends the EXTRA columns to the fixture's metrics.csv and runs.csv. */
function addColumns(): void {
  const field = (v: number | null) => (v === null ? "" : String(v));
  const byId = new Map(runs.map((r) => [r.run, r]));
  const metricsPath = join(dir, "metrics.csv");
  const [mHead, ...mRows] = readFileSync(metricsPath, "utf8").trimEnd().split("\n");
  const mCols = mHead!.split(",");
  const runCol = mCols.indexOf("run");
  const genCol = mCols.indexOf("generation");
  writeFileSync(
    metricsPath,
    [
      [mHead, ...EXTRA.map((e) => (e.name.includes(" ") ? `"${e.name}"` : e.name))].join(","),
      ...mRows.map((line) => {
        const cells = line.split(",");
        const run = byId.get(cells[runCol]!)!;
        return [line, ...EXTRA.map((e) => field(e.value(run, Number(cells[genCol]))))].join(",");
      }),
    ].join("\n") + "\n",
  );
  const runsPath = join(dir, "runs.csv");
  const [rHead, ...rRows] = readFileSync(runsPath, "utf8").trimEnd().split("\n");
  const withFinal = EXTRA.filter((e) => e.final);
  writeFileSync(
    runsPath,
    [
      [rHead, ...withFinal.map((e) => `final_${e.name}`)].join(","),
      ...rRows.map((line) => {
        const run = byId.get(line.split(",")[0]!)!;
        return [line, ...withFinal.map((e) => field(e.value(run, run.generations)))].join(",");
      }),
    ].join("\n") + "\n",
  );
}

beforeAll(async () => {
  runs = writeBatchFixture(dir);
  addColumns();
  result = await buildReport(dir);
  html = readFileSync(result.html, "utf8");
});
afterAll(() => tmp.cleanup());

const ids = (text: string) => [...text.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!);
const hrefs = (text: string) => [...text.matchAll(/href="#([^"]*)"/g)].map((m) => m[1]!);

describe("constant metrics", () => {
  it("finds the metrics with one value (or none) in every counted run and generation", () => {
    expect(result.analysis.metrics).toEqual([
      "avgFinalResources",
      "cooperation",
      ...EXTRA.map((e) => e.name),
    ]);
    expect(result.analysis.constant).toEqual([
      { metric: "zeros", value: 0 },
      { metric: "three", value: 3 },
      { metric: "onlyFailed", value: null },
      { metric: "blip_rate", value: 0 },
    ]);
  });

  it("lists them in one line each instead of a section with tables and plots", () => {
    const sections = [...html.matchAll(/<section class="metric"[^>]*data-metric="([^"]*)"/g)];
    expect(sections.map((m) => m[1])).toEqual(VARYING);
    const list = html.slice(html.indexOf('<section id="constant-metrics">'));
    expect(list).toContain("<code>zeros</code>: 0 in every completed run and generation");
    expect(list).toContain("<code>three</code>: 3 in every completed run and generation");
    expect(list).toContain("<code>onlyFailed</code>: no value in any completed run");
    expect(list).toContain("<code>blip_rate</code>: 0 in every completed run and generation");
    expect(html.match(/<svg /g)).toHaveLength(2 * VARYING.length);
    // (blip_rate's file names are the varying "blip rate"'s.)
    for (const metric of ["zeros", "three", "onlyFailed"]) {
      expect(existsSync(join(dir, "report", `${metric}-final.svg`)), metric).toBe(false);
      expect(existsSync(join(dir, "report", `${metric}-generations.svg`)), metric).toBe(false);
    }
    expect(existsSync(join(dir, "report", "drifts-final.svg"))).toBe(true);
    expect(existsSync(join(dir, "report", "blip_rate-generations.svg"))).toBe(true);
  });

  it("keeps their rows in the CSVs", () => {
    const summary = readFileSync(join(dir, "report", "summary.csv"), "utf8");
    expect(summary).toContain("\nzeros,donorGame.punishment=none,6,0,0,0,0,0,0,0,0\n");
    expect(summary).toContain("\nthree,donorGame.punishment=costly,5,3,0,3,3,3,3,3,3\n");
    expect(summary).toContain("\nonlyFailed,donorGame.punishment=none,0,,,,,,,,\n");
  });
});

describe("table of contents", () => {
  it("comes first and links every section, each metric and the runs", () => {
    const nav = html.slice(html.indexOf('<nav id="contents"'), html.indexOf("</nav>"));
    expect(html.indexOf('<nav id="contents"')).toBeGreaterThan(0);
    expect(html.indexOf('<nav id="contents"')).toBeLessThan(html.indexOf('id="methods"'));
    expect(hrefs(nav)).toEqual([
      "methods",
      "minds",
      "statistics",
      "config",
      "metric-avgFinalResources",
      "metric-cooperation",
      "metric-drifts",
      "metric-blip_rate",
      "constant-metrics",
      "metric-zeros",
      "metric-three",
      "metric-onlyFailed",
      "metric-blip_rate-2",
      "runs",
    ]);
    expect(nav).toContain(">blip rate</a>");
    expect(nav).toContain("Runs</a> (12, 1 not completed)");
  });

  it("has unique ids, and every #link in the page lands on one", () => {
    const all = ids(html);
    expect(new Set(all).size).toBe(all.length);
    for (const target of hrefs(html)) expect(all, target).toContain(target);
    expect(html).toMatch(/<section class="metric" id="metric-blip_rate" data-metric="blip rate">/);
    expect(html).toMatch(/<li id="metric-blip_rate-2" data-metric="blip_rate">/);
  });
});

describe("intervals beside the percentile bootstrap", () => {
  it("warns that the bootstrap intervals are too narrow at few seeds", () => {
    // 6 seeds for "none", 5 completed for "costly".
    expect(html).toMatch(/<p class="note" id="few-seeds">.*as few as 5 completed run\(s\)/s);
    expect(html).toContain("read the t intervals");
    expect(html).toContain("read the t interval");
  });

  it("shows percentile, BCa and t intervals per condition; Welch t and Hedges' g per comparison", () => {
    const section = html.slice(
      html.indexOf('data-metric="avgFinalResources"'),
      html.indexOf('data-metric="cooperation"'),
    );
    for (const head of [
      "percentile 95% CI",
      "BCa 95% CI",
      "t 95% CI",
      "Welch t 95% CI",
      "Hedges' g",
    ])
      expect(section, head).toContain(`>${head.replace("'", "&#39;")}</th>`);
    const summary = readFileSync(join(dir, "report", "summary.csv"), "utf8").split("\n")[0];
    expect(summary).toBe("metric,condition,n,mean,sd,ci_low,ci_high,t_low,t_high,bca_low,bca_high");
    const comparisons = readFileSync(join(dir, "report", "comparisons.csv"), "utf8").split("\n")[0];
    expect(comparisons).toBe(
      "metric,reference,condition,n_reference,n_condition,diff,ci_low,ci_high,p,permutations,t_low,t_high,hedges_g",
    );
    const series = readFileSync(join(dir, "report", "series.csv"), "utf8").split("\n")[0];
    expect(series).toBe(
      "metric,condition,generation,n,mean,sd,ci_low,ci_high,t_low,t_high,bca_low,bca_high",
    );
  });
});
