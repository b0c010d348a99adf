/**
 * The batch tables (DIR/runs.* and DIR/metrics.*), read back with DuckDB and checked against the
 * run directories: column names and order, types, row counts, values; the union of metric columns
 * with nulls where a run lacks one; rebuilding them with --tables-only.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyTotals } from "../sim/core/spend.js";
import { newBatchFile, writeBatchFile } from "../sim/app/batch/batch-file.js";
import { planBatch } from "../sim/app/batch/plan.js";
import { prepareBatch, runBatch, type BatchResult } from "../sim/app/batch/runner.js";
import { writeTables } from "../sim/app/batch/tables.js";
import type { Manifest } from "../sim/core/recorder.js";
import { readTable } from "./support/duckdb-table.js";
import { readJson, readJsonlStrict, runCli, tempDir, writeConfig } from "./support/llm-helpers.js";

const tmp = tempDir("batch-tables");
afterAll(tmp.cleanup);

describe("tables of a policy batch", () => {
  let result: BatchResult;
  let configPath: string;

  beforeAll(async () => {
    configPath = writeConfig(tmp.path, "tables.yaml", {
      scenario: "donor-game",
      population: {
        size: 4,
        minds: [
          { count: 2, policy: "constant", fraction: 0.5 },
          { count: 2, policy: "tit-for-tat" },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    // `generations` is also a fixed column of the runs table: the grid key's column becomes
    // grid.generations.
    result = await runBatch(
      prepareBatch({
        configPath,
        seeds: "1,2",
        grid: [
          ["generations", [2, 3]],
          ["donorGame.punishment", ["none", "costly"]],
        ],
      }),
      {
        out: join(tmp.path, "batch"),
        concurrency: 4,
        llmConcurrency: 4,
      },
    );
  }, 60_000);

  it("runs: the documented columns in order, one row per run, values from each run directory", async () => {
    expect(result.status).toBe("completed");
    const metricKeys = Object.keys(
      readJsonlStrict(join(result.dir, "runs", result.file.runs[0]!.id, "metrics.jsonl"))[0]!,
    ).filter((k) => k !== "generation");
    for (const ext of ["parquet", "csv"]) {
      const table = await readTable(join(result.dir, `runs.${ext}`));
      expect(table.columns).toEqual([
        "run",
        "batch",
        "condition",
        "seed",
        "status",
        "error",
        "generations",
        "grid.generations",
        "donorGame.punishment",
        ...metricKeys.map((k) => `final_${k}`),
        "llm_calls",
        "tokens_in",
        "tokens_out",
        "cost",
        "wall_s",
      ]);
      expect(table.rows).toHaveLength(8);
    }
    const table = await readTable(join(result.dir, "runs.parquet"));
    const types = table.types;
    expect(types).toMatchObject({
      run: "VARCHAR",
      seed: "BIGINT",
      generations: "BIGINT",
      "grid.generations": "DOUBLE",
      "donorGame.punishment": "VARCHAR",
      final_avgFinalResources: "DOUBLE",
      cost: "DOUBLE",
      wall_s: "DOUBLE",
    });
    for (const row of table.rows) {
      const dir = join(result.dir, "runs", String(row.run));
      const manifest = readJson<Manifest>(join(dir, "manifest.json"));
      const last = readJsonlStrict(join(dir, "metrics.jsonl")).at(-1)!;
      expect(row).toMatchObject({ batch: "batch", status: "completed", error: null });
      expect(row.seed).toBe(manifest.seed);
      expect(row.generations).toBe(manifest.generationsCompleted);
      expect(row["grid.generations"]).toBe(manifest.generationsCompleted);
      expect(row.condition).toBe(
        `generations=${row["grid.generations"]}, donorGame.punishment=${row["donorGame.punishment"]}`,
      );
      expect(row.final_avgFinalResources).toBe(last.avgFinalResources);
      expect(row.final_avgDonationFraction).toBe(last.avgDonationFraction);
      expect(row.llm_calls).toBe(0);
      expect(row.wall_s).toBe(
        (Date.parse(manifest.endedAt!) - Date.parse(manifest.startedAt)) / 1000,
      );
    }
  });

  it("metrics: one row per run and generation, every metrics.jsonl value", async () => {
    const table = await readTable(join(result.dir, "metrics.parquet"));
    const firstRun = readJsonlStrict(
      join(result.dir, "runs", result.file.runs[0]!.id, "metrics.jsonl"),
    );
    expect(table.columns).toEqual([
      "run",
      "condition",
      "seed",
      "generation",
      "grid.generations",
      "donorGame.punishment",
      ...Object.keys(firstRun[0]!).filter((k) => k !== "generation"),
    ]);
    expect(table.rows).toHaveLength(2 * (2 + 3) * 2);
    for (const entry of result.file.runs) {
      const expected = readJsonlStrict(join(result.dir, "runs", entry.id, "metrics.jsonl"));
      const rows = table.rows.filter((r) => r.run === entry.id);
      expect(rows.map((r) => r.generation)).toEqual(expected.map((m) => m.generation));
      rows.forEach((row, i) => {
        for (const [key, value] of Object.entries(expected[i]!))
          expect(row[key], `${entry.id} ${key}`).toEqual(value);
      });
    }
    const csv = await readTable(join(result.dir, "metrics.csv"));
    expect(csv.rows).toHaveLength(table.rows.length);
  });

  it("--tables-only rebuilds the same tables from batch.json and the run directories", async () => {
    const before = ["runs.csv", "metrics.csv"].map((f) =>
      readFileSync(join(result.dir, f), "utf8"),
    );
    for (const f of ["runs.csv", "metrics.csv", "runs.parquet", "metrics.parquet"])
      rmSync(join(result.dir, f));
    const rebuilt = await runCli(["batch", configPath, "--out", result.dir, "--tables-only"]);
    expect(rebuilt.stderr).toBe("");
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain(
      "tables: runs 8 row(s), metrics 20 row(s), agents 80 row(s), interactions 960 row(s), llm_calls 0 row(s)",
    );
    expect(
      ["runs.csv", "metrics.csv"].map((f) => readFileSync(join(result.dir, f), "utf8")),
    ).toEqual(before);
    expect((await readTable(join(result.dir, "runs.parquet"))).rows).toHaveLength(8);
  }, 30_000);
});

describe("a batch directory of another config", () => {
  it("is refused before anything runs: finished runs of an edited config are never mixed into its tables", async () => {
    const dir = join(tmp.path, "batch");
    const before = readFileSync(join(dir, "batch.json"), "utf8");
    const edited = writeConfig(tmp.path, "edited.yaml", {
      scenario: "donor-game",
      population: {
        size: 4,
        minds: [
          { count: 2, policy: "constant", fraction: 0.6 },
          { count: 2, policy: "tit-for-tat" },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    const plan = prepareBatch({
      configPath: edited,
      seeds: "1,2",
      grid: [
        ["generations", [2, 3]],
        ["donorGame.punishment", ["none", "costly"]],
      ],
    });
    await expect(runBatch(plan, { out: dir, concurrency: 1, llmConcurrency: 1 })).rejects.toThrow(
      /^--out: got ".*", expected a batch directory whose runs were made with this config, but 8 run\(s\) there hold another config/,
    );
    expect(readFileSync(join(dir, "batch.json"), "utf8")).toBe(before);
  });
});

describe("metric columns", () => {
  it("are the union over runs in order of first appearance, typed by their values, null where a run has none", async () => {
    const dir = join(tmp.path, "handmade");
    const specs = planBatch({
      raw: { scenario: "donor-game" },
      configDir: tmp.path,
      grid: [["k", ["a", "b"]]],
      seeds: [0, 1],
    });
    const file = newBatchFile({
      batchId: "handmade",
      config: "x.yaml",
      grid: [["k", ["a", "b"]]],
      seeds: [0, 1],
      specs,
      caps: {},
      totals: emptyTotals(),
    });
    const write = (id: string, status: string, metrics: Record<string, unknown>[]) => {
      const runDir = join(dir, "runs", id);
      mkdirSync(runDir, { recursive: true });
      const manifest = {
        status,
        generationsCompleted: metrics.length,
        totals: { ...emptyTotals(), calls: 3, tokensIn: 30, tokensOut: 9, unpricedCalls: 3 },
        startedAt: "2026-01-01T00:00:00.000Z",
        endedAt: status === "running" ? null : "2026-01-01T00:00:02.500Z",
      };
      writeFileSync(join(runDir, "manifest.json"), JSON.stringify(manifest));
      writeFileSync(
        join(runDir, "metrics.jsonl"),
        metrics.map((m) => `${JSON.stringify(m)}\n`).join(""),
      );
    };
    write(specs[0]!.id, "completed", [
      { generation: 1, x: 1, y: true },
      { generation: 2, x: 2.5, y: false },
    ]);
    write(specs[1]!.id, "failed", [{ generation: 1, y: true, z: "text", w: { nested: 1 } }]);
    write(specs[2]!.id, "running", [{ generation: 1, x: 7, y: 1 }]);
    // specs[3] never started: no directory.
    writeBatchFile(dir, file);

    expect(await writeTables(dir)).toEqual({
      runs: 4,
      metrics: 4,
      agents: 0,
      interactions: 0,
      llm_calls: 0,
    });
    const metrics = await readTable(join(dir, "metrics.parquet"));
    expect(metrics.columns.map((name) => ({ name, type: metrics.types[name] }))).toEqual([
      { name: "run", type: "VARCHAR" },
      { name: "condition", type: "VARCHAR" },
      { name: "seed", type: "BIGINT" },
      { name: "generation", type: "BIGINT" },
      { name: "k", type: "VARCHAR" },
      { name: "x", type: "DOUBLE" },
      { name: "y", type: "DOUBLE" }, // booleans beside a number: 1/0
      { name: "z", type: "VARCHAR" },
      { name: "w", type: "VARCHAR" },
    ]);
    expect(metrics.rows.map((r) => [r.run, r.generation, r.x, r.y, r.z, r.w])).toEqual([
      [specs[0]!.id, 1, 1, 1, null, null],
      [specs[0]!.id, 2, 2.5, 0, null, null],
      [specs[1]!.id, 1, null, 1, "text", '{"nested":1}'],
      [specs[2]!.id, 1, 7, 1, null, null],
    ]);
    const runs = await readTable(join(dir, "runs.parquet"));
    expect(runs.columns).toEqual([
      "run",
      "batch",
      "condition",
      "seed",
      "status",
      "error",
      "generations",
      "k",
      "final_x",
      "final_y",
      "final_z",
      "final_w",
      "llm_calls",
      "tokens_in",
      "tokens_out",
      "cost",
      "wall_s",
    ]);
    expect(
      runs.rows.map((r) => [
        r.status,
        r.generations,
        r.final_x,
        r.final_z,
        r.llm_calls,
        r.cost,
        r.wall_s,
      ]),
    ).toEqual([
      ["completed", 2, 2.5, null, 3, null, 2.5],
      ["failed", 1, null, "text", 3, null, 2.5],
      ["running", 1, 7, null, 3, null, null],
      ["pending", 0, null, null, 0, null, null],
    ]);
  });
});
