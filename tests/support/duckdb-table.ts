/** Reads a batch table (Parquet or CSV) back with DuckDB: a reader other than our writer. */
import { DuckDBInstance } from "@duckdb/node-api";

export interface Table {
  /** Column name -> DuckDB type (`DOUBLE`, `VARCHAR`, ...). */
  types: Record<string, string>;
  columns: string[];
  /** Rows with BIGINTs as numbers. */
  rows: Record<string, unknown>[];
}

export async function readTable(path: string): Promise<Table> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const source = path.endsWith(".parquet")
      ? `read_parquet('${path}')`
      : `read_csv('${path}', header = true)`;
    const described = (
      await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)
    ).getRowObjectsJson() as { column_name: string; column_type: string }[];
    const rows = (
      await connection.runAndReadAll(`SELECT * FROM ${source}`)
    ).getRowObjectsJS() as Record<string, unknown>[];
    return {
      types: Object.fromEntries(described.map((c) => [c.column_name, c.column_type])),
      columns: described.map((c) => c.column_name),
      rows: rows.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]),
        ),
      ),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
