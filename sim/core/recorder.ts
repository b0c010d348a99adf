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
import { dirname, join } from "node:path";
import { UsageError } from "./errors.js";
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
  /**
   * `corrupt`: damaged entries met, each also a miss (absent in manifests of older runs and of
   * imports).
   */
  cache: { mode: string; dir: string; hits: number; misses: number; corrupt?: number };
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
  /**
   * Cache lookups up to this checkpoint: a resume redoes the rest, so only these carry over
   * (`corrupt` is absent from checkpoints written before it was counted).
   */
  cache: { hits: number; misses: number; corrupt?: number };
}

/**
 * Writes a file whole or not at all: a crash or power cut mid-write leaves the previous version.
 * The data is on disk before the rename, and the rename is on disk before this returns.
 */
export function writeTextAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** A rename lives in its directory: without this it may be lost with the power. */
function fsyncDir(dir: string): void {
  // Windows cannot open a directory; NTFS journals the rename itself.
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes JSON whole or not at all (see writeTextAtomic). */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The lines of a JSON Lines text, blank ones left out. */
export function jsonLines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

export function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const rows: T[] = [];
  for (const line of jsonLines(readFileSync(path, "utf8"))) {
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
   * Reopens a run for resuming: keeps the first `keep.events` lines of events.jsonl and so on, and
   * drops the rest, which is what the interrupted run had not completed. The caller has checked
   * that those lines are the checkpoint's (sim/app/resume-check.ts); a file already holding
   * exactly them is left as it is.
   */
  static reopen(dir: string, keep: Record<"events" | "metrics" | "agents", number>): RunRecorder {
    for (const name of ["events", "metrics", "agents"] as const) {
      const path = join(dir, FILES[name]);
      const text = readFileSync(path, "utf8");
      const kept = firstLines(text, keep[name]);
      if (kept.length !== text.length) writeTextAtomic(path, kept);
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

/**
 * Rewrites a run directory's metrics.jsonl and agents.jsonl from its events.jsonl alone (from its
 * events before `nextSeq` when given).
 */
export function rebuildTables(
  dir: string,
  nextSeq = Infinity,
): { metrics: number; agents: number } {
  const events = readJsonLines<AgoraEvent>(join(dir, FILES.events)).filter((e) => e.seq < nextSeq);
  const { metrics, agents } = tableRows(events);
  rewriteLines(join(dir, FILES.metrics), metrics, metricsLine);
  rewriteLines(join(dir, FILES.agents), agents);
  return { metrics: metrics.length, agents: agents.length };
}

/** A run directory's JSON file, parsed; unreadable JSON is an error naming the file. */
function readJsonFile(path: string): unknown {
  const text = readFileSync(path, "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

export function readManifest(dir: string): Manifest {
  return readJsonFile(join(dir, FILES.manifest)) as Manifest;
}

/** The checkpoint as found, null without one: sim/app/resume-check.ts checks its shape. */
export function readCheckpoint<Pop>(dir: string): Checkpoint<Pop> | null {
  const path = join(dir, FILES.checkpoint);
  if (!existsSync(path)) return null;
  return readJsonFile(path) as Checkpoint<Pop> | null;
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
  writeTextAtomic(path, rows.map((row) => `${line(row as Record<string, unknown>)}\n`).join(""));
}

/** The first `count` lines of a JSON Lines text (see jsonLines), each ended by a newline. */
function firstLines(text: string, count: number): string {
  return jsonLines(text)
    .slice(0, count)
    .map((line) => `${line}\n`)
    .join("");
}
