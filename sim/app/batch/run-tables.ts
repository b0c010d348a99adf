/**
 * The batch's per-decision tables, from every run's own files: `agents` (agents.jsonl, one row
 * per agent and generation), `interactions` (one row per interaction event) and `llm_calls` (one
 * row per llm-call event), each with the run, its condition and seed (sim/app/batch/README.md,
 * "Tables").
 *
 * Each run's rows are extracted once into DIR/.tables/ (a JSON Lines part of text columns and what
 * each column's values were seen to be) and again only when its events.jsonl or agents.jsonl
 * changes, so the refresh after each run of a batch reads that run's events, not every run's. The
 * tables are then assembled from the parts, one type per column over all runs. A rebuild from
 * scratch (DIR/.tables/ deleted) gives the same tables.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AgoraEvent } from "../../core/events.js";
import {
  eventLogPath,
  FILES,
  streamJsonLines as jsonLines,
  writeJsonAtomic,
} from "../../core/recorder.js";
import type { BatchFile, BatchRunEntry } from "./batch-file.js";
import {
  gridColumn,
  INTERACTION_COLUMNS,
  LLM_CALL_COLUMNS,
  readRunManifest,
  runDirOf,
} from "./rows.js";
import {
  asText,
  exportTable,
  fromText,
  merge,
  quoteIdent,
  quoteString,
  see,
  typeOfSeen,
  type Seen,
  type SqlType,
} from "./sql.js";

export const RUN_TABLES = ["agents", "interactions", "llm_calls"] as const;
type RunTable = (typeof RUN_TABLES)[number];

/** Where the runs' parts are kept, inside the batch directory. */
export const PARTS_DIR = ".tables";
/** Parts written by another version of the extraction are extracted again. */
const PARTS_VERSION = 2;

/** Each table's fixed columns after run, condition, seed, generation, time and grid columns. */
const HEADS: Record<RunTable, Record<string, SqlType>> = {
  agents: {},
  interactions: INTERACTION_COLUMNS,
  llm_calls: LLM_CALL_COLUMNS,
};

/**
 * One run's rows of one table, as text. Columns are named by role: `generation` and the table's
 * fixed columns as themselves, `t:<key>` a time coordinate, `data:<key>` a field of an
 * interaction's data, `row:<key>` a column of agents.jsonl. Each row is a JSON line of the
 * columns it has a value in.
 */
class PartRows {
  readonly seen = new Map<string, Seen>();
  readonly lines: string[] = [];

  /** Columns the part has even where no row gives them a value (declared time coordinates). */
  declare(columns: readonly string[]): void {
    for (const column of columns) if (!this.seen.has(column)) this.seen.set(column, {});
  }

  add(values: Iterable<[string, unknown]>): void {
    const row: Record<string, string> = {};
    for (const [column, value] of values) {
      let seen = this.seen.get(column);
      if (!seen) this.seen.set(column, (seen = {}));
      see(seen, value);
      // Stored as `append` would store it: null, undefined and non-finite numbers are nulls.
      if (value !== null && value !== undefined && !(typeof value === "number" && !isFinite(value)))
        row[column] = asText(value);
    }
    this.lines.push(JSON.stringify(row));
  }
}

/** What DIR/.tables/<run>.json records of a run's parts. */
interface RunParts {
  version: number;
  /** Size and modification time of the files the parts were extracted from. */
  source: string;
  tables: Record<RunTable, { rows: number; columns: [string, Seen][] }>;
}

const timeOf = (t: Record<string, unknown>): [string, unknown][] =>
  Object.entries(t)
    .filter(([key]) => key !== "generation")
    .map(([key, value]) => [`t:${key}`, value]);

/** A run's rows of the three tables, from agents.jsonl and events.jsonl. */
async function extract(runDir: string): Promise<Record<RunTable, PartRows>> {
  const parts = {
    agents: new PartRows(),
    interactions: new PartRows(),
    llm_calls: new PartRows(),
  };
  for await (const { generation, ...row } of jsonLines<Record<string, unknown>>(
    join(runDir, FILES.agents),
  )) {
    parts.agents.add([
      ["generation", generation],
      ...Object.entries(row).map(([key, value]): [string, unknown] => [`row:${key}`, value]),
    ]);
  }
  for await (const event of jsonLines<AgoraEvent>(eventLogPath(runDir))) {
    if (event.type === "run-started") {
      // The declared coordinates, outermost first, are columns even of a table none of whose
      // rows has them.
      const time = (event.time ?? []).map((c) => `t:${c.key}`);
      parts.interactions.declare(["generation", ...time]);
      parts.llm_calls.declare(["generation", ...time]);
    } else if (event.type === "interaction") {
      parts.interactions.add([
        ["generation", event.t.generation],
        ...timeOf(event.t),
        ["seq", event.seq],
        ["kind", event.kind],
        ["from", event.from],
        ["to", event.to],
        ["mind_kind", event.mind?.kind],
        ["mind_name", event.mind?.name],
        ...Object.entries(event.data ?? {}).map(([key, value]): [string, unknown] => [
          `data:${key}`,
          value,
        ]),
      ]);
    } else if (event.type === "llm-call") {
      parts.llm_calls.add([
        ["generation", event.t.generation],
        ...timeOf(event.t),
        ["seq", event.seq],
        ["agent", event.agentId],
        ["purpose", event.purpose],
        ["profile", event.profile],
        ["model", event.model],
        ["tokens_in", event.tokensIn],
        ["tokens_out", event.tokensOut],
        ["cost", event.cost],
        ["latency_ms", event.latencyMs],
        ["finish_reason", event.finishReason],
        ["cached", event.cached],
        ["attempts", event.attempts],
        ["reask", event.reask],
        ["call_seed", event.seed],
        ["failure", event.failure?.kind],
        ["trimmed", event.trimmed],
        ["prompt_hash", event.promptHash],
      ]);
    }
  }
  return parts;
}

const sourceOf = (runDir: string): string =>
  [eventLogPath(runDir), join(runDir, FILES.agents)]
    .map((path) => {
      if (!existsSync(path)) return "-";
      const stat = statSync(path);
      return `${stat.size}@${stat.mtimeMs}`;
    })
    .join(" ");

const partsFile = (partsDir: string, id: string) => join(partsDir, `${id}.json`);
const partPath = (partsDir: string, id: string, table: RunTable) =>
  join(partsDir, `${id}.${table}.jsonl`);

function readParts(partsDir: string, id: string): RunParts | null {
  const path = partsFile(partsDir, id);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as RunParts;
  } catch {
    return null;
  }
}

/** The run's parts, extracted again when its files changed since (or were never extracted). */
async function runParts(partsDir: string, runDir: string, id: string): Promise<RunParts> {
  const source = sourceOf(runDir);
  const known = readParts(partsDir, id);
  if (
    known?.version === PARTS_VERSION &&
    known.source === source &&
    RUN_TABLES.every((t) => known.tables[t].rows === 0 || existsSync(partPath(partsDir, id, t)))
  )
    return known;
  // The record goes first and comes back last: parts without one are never taken as current.
  rmSync(partsFile(partsDir, id), { force: true });
  const extracted = await extract(runDir);
  const tables = {} as RunParts["tables"];
  for (const table of RUN_TABLES) {
    const part = extracted[table];
    const path = partPath(partsDir, id, table);
    rmSync(path, { force: true });
    if (part.lines.length > 0) writePart(part, path);
    tables[table] = { rows: part.lines.length, columns: [...part.seen] };
  }
  const parts: RunParts = { version: PARTS_VERSION, source, tables };
  writeJsonAtomic(partsFile(partsDir, id), parts);
  return parts;
}

/** Beside its place and renamed: a part is whole or absent. */
function writePart(part: PartRows, path: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${part.lines.join("\n")}\n`);
  renameSync(tmp, path);
}

/** Removes parts of runs the batch no longer has (and leftovers of an interrupted write). */
function pruneParts(partsDir: string, ids: readonly string[]): void {
  const keep = new Set(
    ids.flatMap((id) => [`${id}.json`, ...RUN_TABLES.map((table) => `${id}.${table}.jsonl`)]),
  );
  for (const name of readdirSync(partsDir))
    if (!keep.has(name)) rmSync(join(partsDir, name), { force: true });
}

interface Column {
  name: string;
  type: SqlType;
  /** The part column it comes from, or a constant of the run (run, condition, seed, grid). */
  from: string | ((entry: BatchRunEntry) => string);
}

/**
 * A table's columns: run, condition, seed, generation, the time coordinates, the grid keys, the
 * table's fixed columns, then every other column in order of first appearance (runs in batch
 * order). Time coordinates are named by their key (`t.<key>` if that name is taken), data fields
 * `data_<key>`, agents.jsonl columns by their name (`agent.<key>` if taken).
 */
function columnsOf(
  table: RunTable,
  parts: readonly RunParts[],
  grid: ReadonlyMap<string, SqlType>,
  gridKeys: readonly string[],
): Column[] {
  const seen = new Map<string, Seen>();
  for (const run of parts)
    for (const [column, values] of run.tables[table].columns) {
      if (!seen.has(column)) seen.set(column, {});
      merge(seen.get(column)!, values);
    }
  const head = HEADS[table];
  const columns: Column[] = [
    { name: "run", type: "VARCHAR", from: (e) => quoteString(e.id) },
    { name: "condition", type: "VARCHAR", from: (e) => quoteString(e.conditionLabel) },
    { name: "seed", type: "BIGINT", from: (e) => String(e.seed) },
    { name: "generation", type: "BIGINT", from: "generation" },
  ];
  const taken = new Set([...columns.map((c) => c.name), ...grid.keys(), ...Object.keys(head)]);
  const named = (name: string, fallback: string) => {
    const chosen = taken.has(name) ? fallback : name;
    taken.add(chosen);
    return chosen;
  };
  const roles = [...seen].filter(([column]) => column.includes(":"));
  for (const [column, values] of roles.filter(([c]) => c.startsWith("t:"))) {
    const key = column.slice(2);
    // A declared coordinate no row has is still a number column.
    const type = values.number || values.boolean || values.other ? typeOfSeen(values) : "DOUBLE";
    columns.push({ name: named(key, `t.${key}`), type, from: column });
  }
  for (const key of gridKeys) {
    const name = gridColumn(key);
    const type = grid.get(name)!;
    columns.push({
      name,
      type,
      from: (e) => fromText(quoteString(e.condition[key] ?? ""), type),
    });
  }
  for (const [name, type] of Object.entries(head)) columns.push({ name, type, from: name });
  for (const [column, values] of roles.filter(([c]) => !c.startsWith("t:"))) {
    const [role, key] = [
      column.slice(0, column.indexOf(":")),
      column.slice(column.indexOf(":") + 1),
    ];
    const name = role === "data" ? named(`data_${key}`, `data.${key}`) : named(key, `agent.${key}`);
    columns.push({ name, type: typeOfSeen(values), from: column });
  }
  return columns;
}

/**
 * Writes DIR/agents, DIR/interactions and DIR/llm_calls (.parquet and .csv) from the runs that have
 * ended (any status but `running`: a run in progress, or one whose process died, joins them when it
 * ends). Returns each table's row count.
 */
export async function writeRunTables(
  connection: DuckDBConnection,
  batchDir: string,
  file: BatchFile,
  grid: ReadonlyMap<string, SqlType>,
): Promise<Record<RunTable, number>> {
  const partsDir = join(batchDir, PARTS_DIR);
  mkdirSync(partsDir, { recursive: true });
  pruneParts(
    partsDir,
    file.runs.map((r) => r.id),
  );
  const runs: { entry: BatchRunEntry; parts: RunParts }[] = [];
  for (const entry of file.runs) {
    const runDir = runDirOf(batchDir, entry.id);
    const status = readRunManifest(runDir)?.status;
    if (status === undefined || status === "running") continue;
    runs.push({ entry, parts: await runParts(partsDir, runDir, entry.id) });
  }
  const counts = {} as Record<RunTable, number>;
  for (const table of RUN_TABLES) {
    const columns = columnsOf(
      table,
      runs.map((r) => r.parts),
      grid,
      Object.keys(file.grid),
    );
    await connection.run(
      `CREATE OR REPLACE TABLE ${table} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")})`,
    );
    counts[table] = 0;
    const selects: string[] = [];
    for (const { entry, parts } of runs) {
      const part = parts.tables[table];
      if (part.rows === 0) continue;
      const has = new Set(part.columns.map(([column]) => column));
      // Every part column read as text, as it was written: nothing is left to inference.
      const text = part.columns.map(([column]) => `${quoteString(column)}: 'VARCHAR'`);
      const select = columns.map((c) =>
        typeof c.from === "function"
          ? c.from(entry)
          : has.has(c.from)
            ? fromText(quoteIdent(c.from), c.type)
            : "NULL",
      );
      selects.push(
        `SELECT ${select.join(", ")} FROM read_json(${quoteString(partPath(partsDir, entry.id, table))}, format = 'newline_delimited', columns = {${text.join(", ")}})`,
      );
      counts[table] += part.rows;
    }
    try {
      if (selects.length > 0)
        await connection.run(`INSERT INTO ${table} ${selects.join(" UNION ALL ")}`);
    } catch (error) {
      throw new Error(
        `${table} table: ${(error as Error).message.trim()} (the parts in ${partsDir} are extracted from the runs' own files: delete it to extract them again)`,
        { cause: error },
      );
    }
    await exportTable(connection, table, batchDir);
  }
  return counts;
}
