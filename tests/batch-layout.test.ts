/**
 * The batch directory's layout: run directory names hold no `key=value` segment, so DuckDB reading
 * every run's metrics.jsonl through a `runs/*` glob (it guesses Hive partitions from such segments)
 * gets exactly the columns of metrics.jsonl; and a batch directory made with the old names
 * (`key=value,...__sN`) is resumed and tabulated under its own names, read from batch.json.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchFile } from "../sim/app/batch/batch-file.js";
import type { RunSpec } from "../sim/app/batch/plan.js";
import { prepareBatch, runBatch, type BatchPlan } from "../sim/app/batch/runner.js";
import type { Manifest } from "../sim/core/recorder.js";
import { readJson, readJsonlStrict, tempDir, writeConfig } from "./support/llm-helpers.js";

const tmp = tempDir("batch-layout");
afterAll(tmp.cleanup);

let configPath: string;
const request = () => ({
  configPath,
  seeds: "0,1",
  grid: [["donorGame.punishment", ["none", "costly"]]] as [string, unknown[]][],
});

beforeAll(() => {
  configPath = writeConfig(tmp.path, "layout.yaml", {
    scenario: "donor-game",
    generations: 3,
    population: {
      size: 4,
      minds: [
        { count: 2, policy: "constant", fraction: 0.5 },
        { count: 2, policy: "tit-for-tat" },
      ],
    },
    cache: { dir: join(tmp.path, "cache") },
  });
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const columnsOf = async (source: string) =>
  (await query(`DESCRIBE SELECT * FROM ${source}`)).map((c) => c.column_name);

describe("run directory names", () => {
  it("have no key=value segment: DuckDB reads runs/*/metrics.jsonl with exactly its columns", async () => {
    const result = await runBatch(prepareBatch(request()), {
      out: join(tmp.path, "fresh"),
      concurrency: 4,
      llmConcurrency: 4,
    });
    expect(result.status).toBe("completed");
    const names = readdirSync(join(result.dir, "runs"));
    expect(names).toHaveLength(4);
    for (const name of names) expect(name).not.toContain("=");

    let lines = 0;
    const keys = new Set<string>();
    for (const name of names) {
      const rows = readJsonlStrict(join(result.dir, "runs", name, "metrics.jsonl"));
      lines += rows.length;
      for (const row of rows) for (const key of Object.keys(row)) keys.add(key);
    }
    const metrics = `read_json_auto('${join(result.dir, "runs", "*", "metrics.jsonl")}')`;
    expect((await columnsOf(metrics)).sort()).toEqual([...keys].sort());
    expect(await query(`SELECT count(*)::INTEGER AS n FROM ${metrics}`)).toEqual([{ n: lines }]);

    const agentKeys = new Set<string>();
    for (const name of names)
      for (const row of readJsonlStrict(join(result.dir, "runs", name, "agents.jsonl")))
        for (const key of Object.keys(row)) agentKeys.add(key);
    const agents = `read_json_auto('${join(result.dir, "runs", "*", "agents.jsonl")}')`;
    expect((await columnsOf(agents)).sort()).toEqual([...agentKeys].sort());
  });
});

describe("a batch directory made with the old run names", () => {
  /** The names run directories had before: `key=value` pairs joined by `,`. */
  const oldName = (spec: RunSpec) =>
    `${Object.entries(spec.condition)
      .map(([k, v]) => `${k}=${v}`)
      .join(",")}__s${spec.seed}`;

  it("is resumed, skipped and tabulated under its own names (from batch.json), with no new directory", async () => {
    const out = join(tmp.path, "old");
    const plan = prepareBatch(request());
    const old: BatchPlan = { ...plan, specs: plan.specs.map((s) => ({ ...s, id: oldName(s) })) };
    const stop = new AbortController();
    // Stopped once the first run has finished a generation: it is left interrupted, the others
    // pending.
    const interrupted = await runBatch(old, {
      out,
      concurrency: 1,
      llmConcurrency: 1,
      signal: stop.signal,
      observer: { onGeneration: () => stop.abort() },
    });
    expect(interrupted.status).toBe("interrupted");
    const first = old.specs[0]!.id;
    expect(readdirSync(join(out, "runs"))).toEqual([first]);
    expect(readJson<Manifest>(join(out, "runs", first, "manifest.json")).status).toBe(
      "interrupted",
    );

    const begun: [string, string][] = [];
    const resumed = await runBatch(prepareBatch(request()), {
      out,
      concurrency: 2,
      llmConcurrency: 2,
      observer: { onRunBegin: (spec, mode) => begun.push([spec.id, mode]) },
    });
    expect(resumed.status).toBe("completed");
    const oldIds = old.specs.map((s) => s.id);
    expect(begun).toContainEqual([first, "resume"]);
    expect(begun.map(([id]) => id).sort()).toEqual([...oldIds].sort());
    expect(readdirSync(join(out, "runs")).sort()).toEqual([...oldIds].sort());
    expect(readJson<BatchFile>(join(out, "batch.json")).runs.map((r) => r.id)).toEqual(oldIds);
    const runs = await query(
      `SELECT run, status FROM read_parquet('${join(out, "runs.parquet")}', hive_partitioning = false)`,
    );
    expect(runs).toEqual(oldIds.map((run) => ({ run, status: "completed" })));

    // Run again: every run is skipped where it is.
    const again = await runBatch(prepareBatch(request()), {
      out,
      concurrency: 2,
      llmConcurrency: 2,
      observer: { onRunBegin: (spec) => begun.push([spec.id, "again"]) },
    });
    expect(again.status).toBe("completed");
    expect(begun.filter(([, mode]) => mode === "again")).toEqual([]);
  });
});
