import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { Totals } from "./spend.js";
import type { AgoraEvent, RunStatus } from "./events.js";

export const FILES = {
  manifest: "manifest.json",
  events: "events.jsonl",
  metrics: "metrics.jsonl",
  agents: "agents.jsonl",
  checkpoint: "checkpoint.json",
} as const;

export interface Manifest {
  runId: string;
  scenario: string;
  status: RunStatus;
  seed: number;
  configHash: string;
  config: unknown;
  agoraVersion: string;
  gitCommit: string | null;
  node: string;
  /** Each mind kind present, so no reader mistakes a policy's output for a model's. */
  minds: {
    kind: "llm" | "policy";
    name: string;
    count: number;
    model?: string;
    endpoint?: string;
    note: string;
  }[];
  graphStats: Record<string, unknown>;
  startedAt: string;
  endedAt: string | null;
  generationsCompleted: number;
  totals: Totals;
  cache: { mode: string; dir: string; hits: number; misses: number };
  resumes: { at: string; fromGeneration: number }[];
  error?: string;
}

export interface Checkpoint<Pop = unknown> {
  version: 1;
  /** The last generation completed. */
  generation: number;
  /** The seq the next event takes. */
  nextSeq: number;
  population: Pop;
  totals: Totals;
  /** Cache lookups up to this checkpoint: a resume redoes the rest, so only these carry over. */
  cache: { hits: number; misses: number };
}

/** Writes a file whole or not at all: a crash mid-write leaves the previous version. */
export function writeTextAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const rows: T[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line) as T);
    } catch {
      // A torn last line from a crash: everything before it is intact.
      break;
    }
  }
  return rows;
}

/**
 * A run directory: manifest.json, events.jsonl (append-only, written at every step), metrics.jsonl
 * and agents.jsonl (a row per generation / per agent and generation), and checkpoint.json.
 */
export class RunRecorder {
  private readonly fds: Record<"events" | "metrics" | "agents", number>;

  private constructor(readonly dir: string) {
    this.fds = {
      events: openSync(join(dir, FILES.events), "a"),
      metrics: openSync(join(dir, FILES.metrics), "a"),
      agents: openSync(join(dir, FILES.agents), "a"),
    };
  }

  static create(dir: string): RunRecorder {
    mkdirSync(dir, { recursive: true });
    for (const name of [FILES.events, FILES.metrics, FILES.agents])
      writeFileSync(join(dir, name), "");
    rmSync(join(dir, FILES.checkpoint), { force: true });
    return new RunRecorder(dir);
  }

  /**
   * Reopens a run for resuming: drops every event at or after `nextSeq` and every metrics or agent
   * row after `generation`, which is what the interrupted run had not completed.
   */
  static reopen(dir: string, nextSeq: number, generation: number): RunRecorder {
    const events = readJsonLines<AgoraEvent>(join(dir, FILES.events)).filter(
      (e) => e.seq < nextSeq,
    );
    rewriteLines(join(dir, FILES.events), events);
    for (const name of [FILES.metrics, FILES.agents]) {
      const rows = readJsonLines<{ generation: number }>(join(dir, name)).filter(
        (r) => r.generation <= generation,
      );
      rewriteLines(join(dir, name), rows, name === FILES.metrics ? metricsLine : undefined);
    }
    return new RunRecorder(dir);
  }

  /** Appends events, and the metrics and agent rows they carry (see tableRows). */
  appendEvents(events: readonly AgoraEvent[]): void {
    if (events.length === 0) return;
    writeLines(this.fds.events, events);
    const { metrics, agents } = tableRows(events);
    if (metrics.length > 0) writeLines(this.fds.metrics, metrics, metricsLine);
    if (agents.length > 0) writeLines(this.fds.agents, agents);
  }

  writeManifest(manifest: Manifest): void {
    writeJsonAtomic(join(this.dir, FILES.manifest), manifest);
  }

  writeCheckpoint(checkpoint: Checkpoint): void {
    // The logs the checkpoint points into must be on disk before the checkpoint itself.
    for (const fd of Object.values(this.fds)) fsyncSync(fd);
    writeJsonAtomic(join(this.dir, FILES.checkpoint), checkpoint);
  }

  close(): void {
    for (const fd of Object.values(this.fds)) closeSync(fd);
  }
}

/**
 * The rows of metrics.jsonl and agents.jsonl that events carry: a generation metric event is a
 * metrics row (its generation, then its values), a generation-ended event's `agents` are agent
 * rows.
 */
export function tableRows(events: readonly AgoraEvent[]): {
  metrics: Record<string, unknown>[];
  agents: Record<string, unknown>[];
} {
  const metrics: Record<string, unknown>[] = [];
  const agents: Record<string, unknown>[] = [];
  for (const event of events) {
    if (event.type === "metric" && event.scope === "generation")
      metrics.push({ generation: event.t.generation, ...event.values });
    else if (event.type === "generation-ended" && event.agents) agents.push(...event.agents);
  }
  return { metrics, agents };
}

/** Rewrites a run directory's metrics.jsonl and agents.jsonl from its events.jsonl alone. */
export function rebuildTables(dir: string): { metrics: number; agents: number } {
  const { metrics, agents } = tableRows(readJsonLines<AgoraEvent>(join(dir, FILES.events)));
  rewriteLines(join(dir, FILES.metrics), metrics, metricsLine);
  rewriteLines(join(dir, FILES.agents), agents);
  return { metrics: metrics.length, agents: agents.length };
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, FILES.manifest), "utf8")) as Manifest;
}

export function readCheckpoint<Pop>(dir: string): Checkpoint<Pop> | null {
  const path = join(dir, FILES.checkpoint);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, "utf8")) as Checkpoint<Pop> | null;
}

type LineWriter = (row: Record<string, unknown>) => string;

const jsonLine: LineWriter = (row) => JSON.stringify(row);

/**
 * A metrics.jsonl row with every metric value written as a floating-point number (`0.0`, not
 * `0`): readers that infer a column's type per file (polars, DuckDB, pandas) would otherwise type
 * a metric Int64 in a run where it happened to be whole and Float64 in another, and refuse to
 * concatenate the runs. `generation` stays an integer.
 */
const metricsLine: LineWriter = (row) =>
  `{${Object.entries(row)
    .map(
      ([key, value]) =>
        `${JSON.stringify(key)}:${key === "generation" ? JSON.stringify(value) : floatJson(value)}`,
    )
    .join(",")}}`;

/** A whole number with `.0`; anything else (fractions, 1e21 and above, null) as JSON writes it. */
const floatJson = (value: unknown): string =>
  typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 1e21
    ? `${Object.is(value, -0) ? 0 : value}.0`
    : JSON.stringify(value);

function writeLines(fd: number, rows: readonly unknown[], line: LineWriter = jsonLine): void {
  writeSync(fd, rows.map((row) => `${line(row as Record<string, unknown>)}\n`).join(""));
}

function rewriteLines(path: string, rows: readonly unknown[], line: LineWriter = jsonLine): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, rows.map((row) => `${line(row as Record<string, unknown>)}\n`).join(""));
  renameSync(tmp, path);
}
