/**
 * Reads a batch's tables (DIR/runs and DIR/metrics, Parquet when present, else CSV; written by
 * sim/app/batch/tables.ts) with DuckDB into plain rows: numbers as numbers, SQL NULL as null.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Cell } from "../batch/rows.js";

export type { Cell };
export type Row = Record<string, Cell>;

export interface BatchTables {
  runs: Row[];
  metrics: Row[];
  /** Column names in table order. */
  runColumns: string[];
  metricColumns: string[];
}

/** The file a table is read from: `<name>.parquet`, else `<name>.csv`. */
export function tableFile(dir: string, name: "runs" | "metrics"): string {
  for (const ext of ["parquet", "csv"]) {
    const path = join(dir, `${name}.${ext}`);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `${dir} has no ${name}.parquet or ${name}.csv: is it a batch directory (agora batch --out DIR)?`,
  );
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

function cell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean")
    return value;
  return String(value);
}

export async function loadTables(dir: string): Promise<BatchTables> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const read = async (name: "runs" | "metrics") => {
      const file = tableFile(dir, name);
      const source = file.endsWith(".parquet")
        ? `read_parquet(${sqlString(file)})`
        : `read_csv(${sqlString(file)}, header = true)`;
      const reader = await connection.runAndReadAll(`SELECT * FROM ${source}`);
      const columns = reader.columnNames();
      const rows = reader
        .getRowObjectsJS()
        .map((r) => Object.fromEntries(columns.map((c) => [c, cell(r[c])])) as Row);
      return { rows, columns };
    };
    const runs = await read("runs");
    const metrics = await read("metrics");
    return {
      runs: runs.rows,
      metrics: metrics.rows,
      runColumns: runs.columns,
      metricColumns: metrics.columns,
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
