import { rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { readBatchFile, type BatchFile } from "./batch-file.js";
import {
  gridColumn,
  METRICS_HEAD,
  metricColumn,
  metricRows,
  RUN_HEAD,
  RUN_TAIL,
  runMetrics,
  runRow,
  type Cell,
} from "./rows.js";
import { RUN_TABLES, writeRunTables } from "./run-tables.js";
import {
  append,
  exportTable,
  quoteIdent,
  see,
  TABLE_FORMATS,
  typeOfSeen,
  type Seen,
  type SqlType,
} from "./sql.js";

/** The fixed columns' types in each table, whatever the rows hold (an empty table has them too). */
const RUN_TYPES: Record<string, SqlType> = {
  run: "VARCHAR",
  batch: "VARCHAR",
  condition: "VARCHAR",
  seed: "BIGINT",
  status: "VARCHAR",
  error: "VARCHAR",
  generations: "BIGINT",
  llm_calls: "BIGINT",
  tokens_in: "BIGINT",
  tokens_out: "BIGINT",
  cost: "DOUBLE",
  wall_s: "DOUBLE",
};
const METRICS_TYPES: Record<string, SqlType> = {
  run: "VARCHAR",
  condition: "VARCHAR",
  seed: "BIGINT",
  generation: "BIGINT",
};

export interface TableRows {
  runs: { columns: string[]; rows: Record<string, Cell>[] };
  metrics: { columns: string[]; rows: Record<string, Cell>[] };
  /** Each `final_<metric>` column of runs -> the metric's column in metrics. */
  finals: Map<string, string>;
}

/** Rows written to each table (documented in sim/app/batch/README.md); null: not rewritten. */
export type TableCounts = Record<"runs" | "metrics", number> &
  Record<(typeof RUN_TABLES)[number], number | null>;

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

/** The runs and metrics tables' rows, from batch.json's run list and each run's directory. */
export function tableRows(batchDir: string, file: BatchFile): TableRows {
  const gridColumns = Object.keys(file.grid).map(gridColumn);
  const perRun = file.runs.map((entry) => ({ entry, lines: runMetrics(batchDir, entry.id) }));
  const runs = perRun.map(({ entry, lines }) =>
    runRow(entry, file.batchId, batchDir, entry, lines),
  );
  const metrics = perRun.flatMap(({ entry, lines }) => metricRows(entry, batchDir, lines));
  const taken = Object.fromEntries([...METRICS_HEAD, ...gridColumns].map((c) => [c, true]));
  const finals = new Map<string, string>();
  for (const { lines } of perRun)
    for (const key of Object.keys(lines.at(-1) ?? {}))
      if (key !== "generation") finals.set(`final_${key}`, metricColumn(key, taken));
  return {
    runs: { columns: columnsOf(runs, [...RUN_HEAD, ...gridColumns], RUN_TAIL), rows: runs },
    metrics: { columns: columnsOf(metrics, [...METRICS_HEAD, ...gridColumns], []), rows: metrics },
    finals,
  };
}

/**
 * The grid columns' types, the same in every table: DOUBLE when every value of the key reads as a
 * number, else VARCHAR.
 */
export function gridTypes(file: BatchFile): Map<string, SqlType> {
  return new Map(
    Object.keys(file.grid).map((key) => {
      const seen: Seen = {};
      for (const run of file.runs) see(seen, run.condition[key], true);
      return [gridColumn(key), typeOfSeen(seen)];
    }),
  );
}

/**
 * Each column's type: fixed columns their own, grid keys as in every table, `final_<metric>` as
 * the metric's column in the metrics table (so a metric has one type everywhere), others by their
 * values.
 */
function typesOf(
  table: { columns: string[]; rows: Record<string, Cell>[] },
  fixed: Record<string, SqlType>,
  grid: ReadonlyMap<string, SqlType>,
  shared: ReadonlyMap<string, SqlType> = new Map(),
): SqlType[] {
  return table.columns.map((column) => {
    const known = fixed[column] ?? grid.get(column) ?? shared.get(column);
    if (known) return known;
    const seen: Seen = {};
    for (const row of table.rows) see(seen, row[column]);
    return typeOfSeen(seen);
  });
}

async function writeTable(
  connection: DuckDBConnection,
  name: string,
  table: { columns: string[]; rows: Record<string, Cell>[] },
  types: readonly SqlType[],
  dir: string,
): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TABLE ${name} (${table.columns.map((c, i) => `${quoteIdent(c)} ${types[i]}`).join(", ")})`,
  );
  const appender = await connection.createAppender(name);
  for (const row of table.rows) {
    table.columns.forEach((column, i) => append(appender, types[i]!, row[column]));
    appender.endRow();
  }
  appender.closeSync();
  await exportTable(connection, name, dir);
}

/** One table write at a time per batch directory: refreshes during a batch may overlap. */
const writing = new Map<string, Promise<unknown>>();

/**
 * Builds DIR/<table>.parquet and DIR/<table>.csv for runs, metrics, agents, interactions and
 * llm_calls from batch.json and the run directories under DIR/runs (any time: during a batch, after
 * it, or after a crash). `runTables: false` leaves agents, interactions and llm_calls as they are
 * (their counts are then null).
 */
export function writeTables(
  batchDir: string,
  options: { runTables?: boolean } = {},
): Promise<TableCounts> {
  const previous = writing.get(batchDir) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(() => buildTables(batchDir, options.runTables ?? true));
  writing.set(batchDir, next);
  void next
    .finally(() => {
      if (writing.get(batchDir) === next) writing.delete(batchDir);
    })
    .catch(() => undefined);
  return next;
}

async function buildTables(batchDir: string, runTables: boolean): Promise<TableCounts> {
  const file = readBatchFile(batchDir);
  if (!file) throw new Error(`${batchDir} has no batch.json: not a batch directory`);
  const tables = tableRows(batchDir, file);
  const grid = gridTypes(file);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const metricTypes = typesOf(tables.metrics, METRICS_TYPES, grid);
    const byMetric = new Map(tables.metrics.columns.map((c, i) => [c, metricTypes[i]!]));
    const finals = new Map(
      [...tables.finals].map(([final, metric]) => [final, byMetric.get(metric)!]),
    );
    await writeTable(
      connection,
      "runs",
      tables.runs,
      typesOf(tables.runs, RUN_TYPES, grid, finals),
      batchDir,
    );
    await writeTable(connection, "metrics", tables.metrics, metricTypes, batchDir);
    const counts = runTables
      ? await writeRunTables(connection, batchDir, file, grid)
      : { agents: null, interactions: null, llm_calls: null };
    return { runs: tables.runs.rows.length, metrics: tables.metrics.rows.length, ...counts };
  } catch (error) {
    for (const name of ["runs", "metrics", ...RUN_TABLES])
      for (const [ext] of TABLE_FORMATS)
        rmSync(join(batchDir, `${name}.${ext}.tmp`), { force: true });
    throw error;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
