/**
 * What the batch tables (tables.ts, run-tables.ts) share: column types chosen from the values seen,
 * SQL quoting, and writing a DuckDB table out as Parquet and CSV.
 */
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";

export type SqlType = "VARCHAR" | "BIGINT" | "DOUBLE" | "BOOLEAN";

/** What a column's values were seen to be, over every run of the batch: its type follows. */
export interface Seen {
  number?: boolean;
  boolean?: boolean;
  other?: boolean;
}

const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Notes one value (nulls say nothing). `textNumbers`: text that reads as a number counts as one
 * (grid values are text in batch.json).
 */
export function see(seen: Seen, value: unknown, textNumbers = false): void {
  if (value === null || value === undefined) return;
  if (typeof value === "number") seen.number = true;
  else if (typeof value === "boolean") seen.boolean = true;
  else if (textNumbers && typeof value === "string" && NUMBER_TEXT.test(value)) seen.number = true;
  else seen.other = true;
}

export function merge(into: Seen, seen: Seen): void {
  if (seen.number) into.number = true;
  if (seen.boolean) into.boolean = true;
  if (seen.other) into.other = true;
}

/**
 * Numbers DOUBLE (whole or not, in every run alike), booleans BOOLEAN, numbers beside booleans
 * DOUBLE (1/0), anything else (or nothing but nulls) VARCHAR.
 */
export function typeOfSeen(seen: Seen): SqlType {
  if (seen.other || !(seen.number || seen.boolean)) return "VARCHAR";
  return seen.number ? "DOUBLE" : "BOOLEAN";
}

/** Appends one value as a column of `type` holds it (objects and lists as JSON text). */
export function append(appender: DuckDBAppender, type: SqlType, value: unknown): void {
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
      return appender.appendDouble(Number(value));
    case "BOOLEAN":
      return appender.appendBoolean(Boolean(value));
    default:
      return appender.appendVarchar(asText(value));
  }
}

/** A value as a VARCHAR column holds it: text as is, anything else as JSON. */
export const asText = (value: unknown): string =>
  typeof value === "string" ? value : JSON.stringify(value);

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const quoteString = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * SQL turning a VARCHAR holding asText(value) back into `type`, as `append` would have stored
 * value: 'true'/'false' are 1/0 in a DOUBLE column.
 */
export function fromText(sql: string, type: SqlType): string {
  switch (type) {
    case "BIGINT":
      return `CAST(round(CAST(${sql} AS DOUBLE)) AS BIGINT)`;
    case "DOUBLE":
      return `CASE ${sql} WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 ELSE CAST(${sql} AS DOUBLE) END`;
    case "BOOLEAN":
      return `CAST(${sql} AS BOOLEAN)`;
    default:
      return sql;
  }
}

export const TABLE_FORMATS = [
  ["parquet", "FORMAT parquet"],
  ["csv", "FORMAT csv, HEADER"],
] as const;

/**
 * Writes table `name` to DIR/<name>.parquet and DIR/<name>.csv, each beside its target and renamed,
 * so a reader (a report, the live page) never sees half a file.
 */
export async function exportTable(
  connection: DuckDBConnection,
  name: string,
  dir: string,
): Promise<void> {
  for (const [ext, options] of TABLE_FORMATS) {
    const path = join(dir, `${name}.${ext}`);
    const tmp = `${path}.tmp`;
    try {
      await connection.run(`COPY ${quoteIdent(name)} TO ${quoteString(tmp)} (${options})`);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
    renameSync(tmp, path);
  }
}
