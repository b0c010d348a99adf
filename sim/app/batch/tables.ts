import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import { readBatchFile, type BatchFile } from "./batch-file.js";
import {
  gridColumn,
  METRICS_HEAD,
  metricRows,
  RUN_HEAD,
  RUN_TAIL,
  runMetrics,
  runRow,
  type Cell,
} from "./rows.js";

type SqlType = "VARCHAR" | "BIGINT" | "DOUBLE" | "BOOLEAN";

/** Fixed columns have fixed types, whatever the rows hold (an empty table still has them). */
const FIXED_TYPES: Record<string, SqlType> = {
  run: "VARCHAR",
  batch: "VARCHAR",
  condition: "VARCHAR",
  seed: "BIGINT",
  status: "VARCHAR",
  error: "VARCHAR",
  generations: "BIGINT",
  generation: "BIGINT",
  llm_calls: "BIGINT",
  tokens_in: "BIGINT",
  tokens_out: "BIGINT",
  cost: "DOUBLE",
  wall_s: "DOUBLE",
};

export interface TableRows {
  runs: { columns: string[]; rows: Record<string, Cell>[] };
  metrics: { columns: string[]; rows: Record<string, Cell>[] };
}

/**
 * Column order: the fixed head, the grid keys, every other column in order of first appearance
 * (runs in batch order), the fixed tail.
 */
function columnsOf(
  rows: readonly Record<string, Cell>[],
  head: readonly string[],
  tail: readonly string[],
): string[] {
  const columns = [...head];
  const seen = new Set([...head, ...tail]);
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return [...columns, ...tail];
}

/** The tables' rows, from batch.json's run list and each run's directory. */
export function tableRows(batchDir: string, file: BatchFile): TableRows {
  const gridColumns = Object.keys(file.grid).map(gridColumn);
  const perRun = file.runs.map((entry) => ({ entry, lines: runMetrics(batchDir, entry.id) }));
  const runs = perRun.map(({ entry, lines }) =>
    runRow(entry, file.batchId, batchDir, entry, lines),
  );
  const metrics = perRun.flatMap(({ entry, lines }) => metricRows(entry, batchDir, lines));
  return {
    runs: { columns: columnsOf(runs, [...RUN_HEAD, ...gridColumns], RUN_TAIL), rows: runs },
    metrics: { columns: columnsOf(metrics, [...METRICS_HEAD, ...gridColumns], []), rows: metrics },
  };
}

const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A column's type from its values: numbers (and number-like grid values) DOUBLE, booleans BOOLEAN,
 * a mix of numbers and booleans DOUBLE (1/0), anything else VARCHAR (objects as JSON).
 */
function typeOf(
  column: string,
  rows: readonly Record<string, Cell>[],
  textNumbers: boolean,
): SqlType {
  const fixed = FIXED_TYPES[column];
  if (fixed) return fixed;
  let numbers = 0;
  let booleans = 0;
  let others = 0;
  for (const row of rows) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    if (typeof value === "number") numbers++;
    else if (typeof value === "boolean") booleans++;
    else if (textNumbers && typeof value === "string" && NUMBER_TEXT.test(value)) numbers++;
    else others++;
  }
  if (others > 0 || numbers + booleans === 0) return "VARCHAR";
  return numbers > 0 ? "DOUBLE" : "BOOLEAN";
}

function append(appender: DuckDBAppender, type: SqlType, value: unknown): void {
  if (
    value === null ||
    value === undefined ||
    (typeof value === "number" && !Number.isFinite(value))
  )
    return appender.appendNull();
  switch (type) {
    case "BIGINT":
      return appender.appendBigInt(BigInt(Math.round(Number(value))));
    case "DOUBLE":
      return appender.appendDouble(typeof value === "boolean" ? Number(value) : Number(value));
    case "BOOLEAN":
      return appender.appendBoolean(Boolean(value));
    default:
      return appender.appendVarchar(typeof value === "string" ? value : JSON.stringify(value));
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteString = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function writeTable(
  connection: DuckDBConnection,
  name: string,
  table: TableRows["runs"],
  gridColumns: ReadonlySet<string>,
  dir: string,
): Promise<void> {
  const types = table.columns.map((column) => typeOf(column, table.rows, gridColumns.has(column)));
  await connection.run(
    `CREATE OR REPLACE TABLE ${name} (${table.columns.map((c, i) => `${quoteIdent(c)} ${types[i]}`).join(", ")})`,
  );
  const appender = await connection.createAppender(name);
  for (const row of table.rows) {
    table.columns.forEach((column, i) => append(appender, types[i]!, row[column]));
    appender.endRow();
  }
  appender.closeSync();
  // Written beside the target and renamed, so a reader (a report, the live page) never sees half a
  // file.
  for (const [ext, options] of [
    ["parquet", "FORMAT parquet"],
    ["csv", "FORMAT csv, HEADER"],
  ] as const) {
    const path = join(dir, `${name}.${ext}`);
    const tmp = `${path}.tmp`;
    await connection.run(`COPY ${name} TO ${quoteString(tmp)} (${options})`);
    renameSync(tmp, path);
  }
}

/** One table write at a time per batch directory: refreshes during a batch may overlap. */
const writing = new Map<string, Promise<unknown>>();

/**
 * Builds DIR/runs.parquet, DIR/runs.csv, DIR/metrics.parquet and DIR/metrics.csv from batch.json
 * and the run directories under DIR/runs (any time: during a batch, after it, or after a crash).
 */
export function writeTables(batchDir: string): Promise<{ runs: number; metrics: number }> {
  const previous = writing.get(batchDir) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => buildTables(batchDir));
  writing.set(batchDir, next);
  void next
    .finally(() => {
      if (writing.get(batchDir) === next) writing.delete(batchDir);
    })
    .catch(() => undefined);
  return next;
}

async function buildTables(batchDir: string): Promise<{ runs: number; metrics: number }> {
  const file = readBatchFile(batchDir);
  if (!file) throw new Error(`${batchDir} has no batch.json: not a batch directory`);
  const tables = tableRows(batchDir, file);
  const gridColumns = new Set(Object.keys(file.grid).map(gridColumn));
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await writeTable(connection, "runs", tables.runs, gridColumns, batchDir);
    await writeTable(connection, "metrics", tables.metrics, gridColumns, batchDir);
  } catch (error) {
    for (const name of ["runs", "metrics"])
      for (const ext of ["parquet", "csv"])
        rmSync(join(batchDir, `${name}.${ext}.tmp`), { force: true });
    throw error;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { runs: tables.runs.rows.length, metrics: tables.metrics.rows.length };
}
