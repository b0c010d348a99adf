/**
 * `agora report DIR` on a batch directory in the contracted layout: the numbers match what the
 * tables say (recomputed here), the files exist, report.html is self-contained and carries no
 * secret, and bad input gets a clear error.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../sim/core/rng.js";
import { buildReport, type ReportResult } from "../sim/app/report/index.js";
import { bootstrapMeanCI, compareMeans } from "../sim/app/report/stats.js";
import { bcaInterval, bootstrapMeans, welchDiffCI } from "../sim/toolkit/stats.js";
import { loadTables } from "../sim/app/report/tables.js";
import {
  FIXTURE_CONDITIONS,
  FIXTURE_GENERATIONS,
  FIXTURE_SECRET,
  writeBatchFixture,
  type FixtureRun,
} from "./support/batch-fixture.js";
import { runCli, tempDir, writeConfig } from "./support/llm-helpers.js";

const tmp = tempDir("batch-report");
const dir = join(tmp.path, "batch");
let runs: FixtureRun[] = [];
let result: ReportResult;

beforeAll(async () => {
  runs = writeBatchFixture(dir);
  result = await buildReport(dir);
});
afterAll(() => tmp.cleanup());

/** Parses the report's own CSVs (no quoting needed in these). */
function readCsv(name: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(dir, "report", name), "utf8")
    .trimEnd()
    .split("\n");
  const cols = header!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

const finalsOf = (condition: string, metric: 0 | 1) =>
  runs
    .filter((r) => r.condition === condition && r.status === "completed")
    .map((r) => r.values.at(-1)![metric]);
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs: number[]) =>
  Math.sqrt(xs.reduce((s, x) => s + (x - meanOf(xs)) ** 2, 0) / (xs.length - 1));

describe("agora report on a batch directory", () => {
  it("reads the tables with DuckDB as numbers", async () => {
    const tables = await loadTables(dir);
    expect(tables.runs).toHaveLength(runs.length);
    expect(tables.metrics).toHaveLength(runs.reduce((n, r) => n + r.generations, 0));
    expect(typeof tables.metrics[0]!.avgFinalResources).toBe("number");
    expect(tables.runColumns).toContain("donorGame.punishment");
  });

  it("summarises the final values of completed runs per metric and condition", () => {
    const rows = readCsv("summary.csv");
    expect(rows.map((r) => `${r.metric}|${r.condition}`)).toEqual(
      ["avgFinalResources", "cooperation"].flatMap((m) =>
        FIXTURE_CONDITIONS.map((c) => `${m}|${c}`),
      ),
    );
    for (const [metricIndex, metric] of (["avgFinalResources", "cooperation"] as const).entries()) {
      for (const condition of FIXTURE_CONDITIONS) {
        const xs = finalsOf(condition, metricIndex as 0 | 1);
        const row = rows.find((r) => r.metric === metric && r.condition === condition)!;
        expect(Number(row.n)).toBe(xs.length);
        expect(Number(row.mean)).toBeCloseTo(meanOf(xs), 9);
        expect(Number(row.sd)).toBeCloseTo(sdOf(xs), 9);
        const [lo, hi] = bootstrapMeanCI(xs, new Rng(0, ["report", "final", metric, condition]))!;
        expect(Number(row.ci_low)).toBeCloseTo(lo, 9);
        expect(Number(row.ci_high)).toBeCloseTo(hi, 9);
        expect(Number(row.ci_low)).toBeLessThan(meanOf(xs));
        expect(Number(row.ci_high)).toBeGreaterThan(meanOf(xs));
        // t interval: t_{0.975, n-1} from R's qt (df 5 for 6 seeds, df 4 for 5).
        const tq = xs.length === 6 ? 2.570581835636314 : 2.776445105197793;
        const half = (tq * sdOf(xs)) / Math.sqrt(xs.length);
        expect(Number(row.t_low)).toBeCloseTo(meanOf(xs) - half, 9);
        expect(Number(row.t_high)).toBeCloseTo(meanOf(xs) + half, 9);
        // BCa from the same seeded draws as the percentile interval.
        const draws = bootstrapMeans(xs, new Rng(0, ["report", "final", metric, condition]), 2000);
        const [bLo, bHi] = bcaInterval(xs, draws)!;
        expect(Number(row.bca_low)).toBeCloseTo(bLo, 9);
        expect(Number(row.bca_high)).toBeCloseTo(bHi, 9);
      }
    }
    // The failed run is left out: 6 seeds for "none", 5 for "costly".
    expect(rows.filter((r) => r.metric === "avgFinalResources").map((r) => Number(r.n))).toEqual([
      6, 5,
    ]);
  });

  it("compares each condition with the reference: difference, CI and permutation p", () => {
    const rows = readCsv("comparisons.csv");
    expect(rows).toHaveLength(2);
    const row = rows.find((r) => r.metric === "avgFinalResources")!;
    expect(row.reference).toBe(FIXTURE_CONDITIONS[0]);
    expect(row.condition).toBe(FIXTURE_CONDITIONS[1]);
    const a = finalsOf(FIXTURE_CONDITIONS[0], 0);
    const b = finalsOf(FIXTURE_CONDITIONS[1], 0);
    expect(Number(row.diff)).toBeCloseTo(meanOf(b) - meanOf(a), 9);
    const c = compareMeans(
      a,
      b,
      new Rng(0, ["report", "compare", "avgFinalResources", ...FIXTURE_CONDITIONS]),
    );
    expect(Number(row.p)).toBe(c.p);
    expect(Number(row.ci_low)).toBeCloseTo(c.ciLow!, 9);
    // A shift of 40 with sd 8: clearly detected.
    expect(Number(row.p)).toBeLessThan(0.01);
    expect(Number(row.ci_low)).toBeGreaterThan(0);
    const [tLo, tHi] = welchDiffCI(a, b)!;
    expect(Number(row.t_low)).toBeCloseTo(tLo, 9);
    expect(Number(row.t_high)).toBeCloseTo(tHi, 9);
    expect(Number(row.t_low)).toBeGreaterThan(0);
    // Hedges' g by hand: pooled sd over df = 6 + 5 - 2 = 9, J(9) = 0.9138748917925524 (R).
    const pooled = Math.sqrt((5 * sdOf(a) ** 2 + 4 * sdOf(b) ** 2) / 9);
    expect(Number(row.hedges_g)).toBeCloseTo(
      (0.9138748917925524 * (meanOf(b) - meanOf(a))) / pooled,
      9,
    );
    expect(Number(row.hedges_g)).toBeGreaterThan(2);
  });

  it("writes the per-generation series of every counted run", () => {
    const rows = readCsv("series.csv").filter(
      (r) => r.metric === "cooperation" && r.condition === FIXTURE_CONDITIONS[1],
    );
    expect(rows.map((r) => Number(r.generation))).toEqual(
      [1, 2, 3, 4].slice(0, FIXTURE_GENERATIONS),
    );
    const at2 = runs
      .filter((r) => r.condition === FIXTURE_CONDITIONS[1] && r.status === "completed")
      .map((r) => r.values[1]![1]);
    expect(Number(rows[1]!.mean)).toBeCloseTo(meanOf(at2), 9);
    expect(Number(rows[1]!.n)).toBe(5);
  });

  it("writes two SVG plots per metric, with a ribbon, a mean and a line per seed", () => {
    for (const metric of ["avgFinalResources", "cooperation"]) {
      const gens = readFileSync(join(dir, "report", `${metric}-generations.svg`), "utf8");
      expect(gens.startsWith("<svg")).toBe(true);
      expect(gens.match(/class="ci"/g)).toHaveLength(2);
      expect(gens.match(/class="mean"/g)).toHaveLength(2);
      expect(gens.match(/class="seed"/g)).toHaveLength(11);
      const finals = readFileSync(join(dir, "report", `${metric}-final.svg`), "utf8");
      expect(finals.match(/<circle class="seed"/g)).toHaveLength(11);
      expect(finals).toContain('data-n="5"');
    }
  });

  it("writes a self-contained report.html with the methods and no secret", () => {
    const html = readFileSync(result.html, "utf8");
    expect(result.html).toBe(join(dir, "report", "report.html"));
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).not.toContain(FIXTURE_SECRET);
    expect(html).not.toContain("/secret/cache/dir");
    for (const text of [
      "fixture-batch",
      "scenarios/donor-game/fixture.yaml",
      "donor-game",
      "0..5",
      "fixture-model",
      "llm.example.org/v1",
      "policy (offline program, not an LLM)",
      "Agora 0.1.0",
      "2000 resamples",
      "9999 random relabellings",
      "fake endpoint said no",
    ]) {
      expect(html, text).toContain(text);
    }
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html.match(/<section class="metric"/g)).toHaveLength(2);
  });

  it("runs as `agora report DIR --metric m --out FILE`, and names a bad metric", async () => {
    const out = join(tmp.path, "elsewhere", "r.html");
    const ok = await runCli(["report", dir, "--metric", "cooperation", "--out", out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(
      "1 metric(s), 2 condition(s), 11 completed run(s) counted, 1 not completed left out",
    );
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(tmp.path, "elsewhere", "cooperation-final.svg"))).toBe(true);
    expect(existsSync(join(tmp.path, "elsewhere", "avgFinalResources-final.svg"))).toBe(false);
    const bad = await runCli(["report", dir, "--metric", "nope"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--metric: got "nope"');
    const notBatch = await runCli(["report", tmp.path]);
    expect(notBatch.code).not.toBe(0);
    expect(notBatch.stderr).toContain("batch.json");
  });
});

describe("agora report on a real batch", () => {
  it("reports `agora batch` output (Parquet tables): numbers from the runs table, the minds as policies", async () => {
    const config = writeConfig(join(tmp.path, "configs"), "policy.yaml", {
      scenario: "donor-game",
      generations: 3,
      population: {
        size: 6,
        minds: [
          { count: 2, policy: "tit-for-tat" },
          { count: 2, policy: "random" },
          { count: 2, policy: "constant", fraction: 0.4 },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    const out = join(tmp.path, "real");
    const batch = await runCli([
      "batch",
      config,
      "--seeds",
      "0..2",
      "--grid",
      "donorGame.punishment=none,costly",
      "--out",
      out,
    ]);
    expect(batch.code, batch.stderr).toBe(0);
    const report = await runCli([
      "report",
      out,
      "--metric",
      "avgFinalResources",
      "avgDonationFraction",
    ]);
    expect(report.code, report.stderr).toBe(0);
    expect(existsSync(join(out, "metrics.parquet"))).toBe(true);

    const tables = await loadTables(out);
    const summary = readFileSync(join(out, "report", "summary.csv"), "utf8")
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => l.split(","));
    expect(summary).toHaveLength(4);
    for (const [metric, condition, n, m] of summary) {
      const finals = tables.runs
        .filter((r) => r.condition === condition)
        .map((r) => r[`final_${metric}`] as number);
      expect(Number(n)).toBe(3);
      expect(Number(m)).toBeCloseTo(meanOf(finals), 9);
    }
    const html = readFileSync(join(out, "report", "report.html"), "utf8");
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain("policy (offline program, not an LLM)");
    expect(html).toContain("0..2");
    expect(html).toContain(config);
  });
});
