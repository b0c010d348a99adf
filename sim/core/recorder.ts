import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { constants as zlibConstants, createGunzip, gunzipSync, gzipSync } from "node:zlib";
import { UsageError } from "./errors.js";
import type { Totals } from "./spend.js";
import type { AgoraEvent, RunStatus } from "./events.js";

export const FILES = {
  manifest: "manifest.json",
  events: "events.jsonl",
  /** The event log of a run started with `--compress` (gzip), instead of events.jsonl. */
  eventsGz: "events.jsonl.gz",
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
export function writeTextAtomic(path: string, text: string | Uint8Array): void {
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

/**
 * The rows of a JSON Lines file (gzip-compressed if its name ends in .gz); a torn last line ends
 * them.
 */
export function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const rows: T[] = [];
  for (const line of jsonLines(readLogText(path))) {
    try {
      rows.push(JSON.parse(line) as T);
    } catch {
      // A torn last line from a crash: everything before it is intact.
      break;
    }
  }
  return rows;
}

/** A run directory's event log: events.jsonl.gz for a compressed run, otherwise events.jsonl. */
export function eventLogPath(dir: string): string {
  const gz = join(dir, FILES.eventsGz);
  return existsSync(gz) ? gz : join(dir, FILES.events);
}

const isGzip = (path: string) => path.endsWith(".gz");

/**
 * A log file's text, decompressed if it is gzip. A compressed log is a series of gzip members, one
 * per flush: a torn tail (a crash mid-write) gives the text before it, like a torn last line of a
 * plain log; damage anywhere else is a UsageError naming the file.
 */
export function readLogText(path: string): string {
  if (!isGzip(path)) return readFileSync(path, "utf8");
  try {
    // Z_SYNC_FLUSH: a truncated last member yields what it holds instead of an error.
    return gunzipSync(readFileSync(path), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString(
      "utf8",
    );
  } catch (error) {
    throw new UsageError(`${path}: damaged gzip data (${(error as Error).message})`);
  }
}

/** A run directory's events, compressed log or not; a torn last line (a crash) ends them. */
export function readEventLog(dir: string): AgoraEvent[] {
  return readJsonLines<AgoraEvent>(eventLogPath(dir));
}

/** The chunks, then a line break: a last line without one is a line too. */
async function* withFinalBreak(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  yield* chunks;
  yield "\n";
}

/**
 * The rows of a JSON Lines file (gzip if named .gz) read as a stream, for logs too large to hold
 * as one string; a torn last line or gzip tail ends them, other gzip damage throws a UsageError.
 */
export async function* streamJsonLines<T>(path: string): AsyncGenerator<T> {
  if (!existsSync(path)) return;
  const file = createReadStream(path);
  const gunzip = isGzip(path) ? createGunzip() : null;
  if (gunzip) file.on("error", (error) => gunzip.destroy(error));
  const input = gunzip ? file.pipe(gunzip) : file;
  input.setEncoding("utf8");
  try {
    // Split by hand, a chunk at a time: readline awaits once per line, which cost half of reading.
    // Only the new chunk is searched; a line longer than a chunk grows as a rope. Lines end at "\n"
    // as readJsonLines's do (JSON.parse takes a "\r" before it as white space).
    let rest = "";
    for await (const chunk of withFinalBreak(input as AsyncIterable<string>)) {
      const lines = chunk.split("\n");
      lines[0] = rest + lines[0]!;
      rest = lines.pop()!;
      for (const line of lines) {
        if (!line.trim()) continue;
        let value: T;
        try {
          value = JSON.parse(line) as T;
        } catch {
          return;
        }
        yield value;
      }
    }
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (!gunzip || !code?.startsWith("Z_")) throw error;
    // A truncated gzip tail ends the rows like a torn line; anything else is damage.
    if (code !== "Z_BUF_ERROR") throw new UsageError(`${path}: damaged gzip data (${message})`);
  } finally {
    file.destroy();
    gunzip?.destroy();
  }
}

/**
 * The path of a plain copy of a run's event log, for readers that seek by byte offset (the
 * server): events.jsonl itself, or for a compressed run a decompressed copy in the OS temporary
 * directory, written once per version of the log (its path, size and modification time).
 */
export function plainEventLogPath(dir: string): string {
  const path = eventLogPath(dir);
  if (!isGzip(path)) return path;
  const { size, mtimeMs } = statSync(path);
  const key = createHash("sha256").update(`${path}\0${size}\0${mtimeMs}`).digest("hex");
  const copy = join(tmpdir(), `agora-events-${key.slice(0, 24)}.jsonl`);
  if (!existsSync(copy)) writeTextAtomic(copy, completeLines(readLogText(path)));
  return copy;
}

/** The text up to its last newline: a torn last line is left out. */
const completeLines = (text: string): string => text.slice(0, text.lastIndexOf("\n") + 1);

/**
 * Text appended to a log file. Plain: written at once (one write per batch of events). Gzip: held
 * until about GZIP_BATCH_CHARS of text or GZIP_BATCH_MS have gathered, then written as one gzip
 * member; `flush` writes what is held (checkpoints and close call it), so a crash loses at most the
 * held batch, and a torn member is a torn tail the readers stop at.
 */
class LogFile {
  private readonly fd: number;
  private held: string[] = [];
  private heldChars = 0;
  private heldSince = 0;

  constructor(
    path: string,
    private readonly gzip: boolean,
  ) {
    this.fd = openSync(path, "a");
  }

  append(text: string): void {
    if (!this.gzip) {
      writeSync(this.fd, text);
      return;
    }
    if (this.held.length === 0) this.heldSince = Date.now();
    this.held.push(text);
    this.heldChars += text.length;
    if (this.heldChars >= GZIP_BATCH_CHARS || Date.now() - this.heldSince >= GZIP_BATCH_MS)
      this.flush();
  }

  flush(): void {
    if (this.held.length === 0) return;
    writeSync(this.fd, gzipSync(this.held.join(""), { level: GZIP_LEVEL }));
    this.held = [];
    this.heldChars = 0;
  }

  sync(): void {
    this.flush();
    fsyncSync(this.fd);
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** How much text a gzip member holds at most: large enough for the dictionary to pay off. */
const GZIP_BATCH_CHARS = 1 << 20;
/** How long text waits for its gzip member at most while events keep coming. */
const GZIP_BATCH_MS = 1000;
/** zlib's fastest level: twice as fast as the default 6 on event logs, for ~13 % more bytes. */
const GZIP_LEVEL = 1;

export interface RecorderOptions {
  /** Write events.jsonl.gz (gzip) instead of events.jsonl. */
  compress?: boolean;
}

/**
 * A run directory: manifest.json, events.jsonl or events.jsonl.gz (append-only, written at every
 * step; compressed in batches), metrics.jsonl and agents.jsonl (a row per generation / per agent
 * and generation), and checkpoint.json.
 */
export class RunRecorder {
  private readonly logs: Record<"events" | "metrics" | "agents", LogFile>;

  private constructor(
    readonly dir: string,
    compress: boolean,
  ) {
    this.logs = {
      events: new LogFile(join(dir, compress ? FILES.eventsGz : FILES.events), compress),
      metrics: new LogFile(join(dir, FILES.metrics), false),
      agents: new LogFile(join(dir, FILES.agents), false),
    };
  }

  static create(dir: string, options: RecorderOptions = {}): RunRecorder {
    mkdirSync(dir, { recursive: true });
    const compress = options.compress ?? false;
    // One event log per run directory: a previous run's other kind would shadow this one's.
    rmSync(join(dir, compress ? FILES.events : FILES.eventsGz), { force: true });
    for (const name of [compress ? FILES.eventsGz : FILES.events, FILES.metrics, FILES.agents])
      writeFileSync(join(dir, name), "");
    rmSync(join(dir, FILES.checkpoint), { force: true });
    return new RunRecorder(dir, compress);
  }

  /**
   * Reopens a run for resuming: keeps the first `keep.events` lines of its event log and so on,
   * and drops the rest, which is what the interrupted run had not completed. The caller has
   * checked that those lines are the checkpoint's (sim/app/resume-check.ts); a file already
   * holding exactly them is left as it is. A compressed log stays compressed and is always
   * rewritten whole: a member torn before it yielded any text would otherwise stay in the middle.
   */
  static reopen(dir: string, keep: Record<"events" | "metrics" | "agents", number>): RunRecorder {
    const events = eventLogPath(dir);
    const compress = isGzip(events);
    for (const name of ["events", "metrics", "agents"] as const) {
      const path = name === "events" ? events : join(dir, FILES[name]);
      const text = readLogText(path);
      const kept = firstLines(text, keep[name]);
      const rewrite = compress && name === "events";
      if (kept.length === text.length && !rewrite) continue;
      writeTextAtomic(path, rewrite ? gzipSync(kept, { level: GZIP_LEVEL }) : kept);
    }
    return new RunRecorder(dir, compress);
  }

  /** Appends events, and the metrics and agent rows they carry (see tableRows). */
  appendEvents(events: readonly AgoraEvent[]): void {
    if (events.length === 0) return;
    // Concatenated, not lines(events): mapping to an array and joining it cost about 10 % of a
    // policy run's throughput (bench/policy-throughput.ts, side by side).
    let text = "";
    for (const event of events) text += `${JSON.stringify(event)}\n`;
    this.logs.events.append(text);
    const { metrics, agents } = tableRows(events);
    if (metrics.length > 0) this.logs.metrics.append(lines(metrics, metricsLine));
    if (agents.length > 0) this.logs.agents.append(lines(agents));
  }

  writeManifest(manifest: Manifest): void {
    writeJsonAtomic(join(this.dir, FILES.manifest), manifest);
  }

  writeCheckpoint(checkpoint: Checkpoint): void {
    // The logs the checkpoint points into must be on disk before the checkpoint itself.
    for (const log of Object.values(this.logs)) log.sync();
    writeJsonAtomic(join(this.dir, FILES.checkpoint), checkpoint);
  }

  close(): void {
    for (const log of Object.values(this.logs)) log.close();
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
  return writeTables(dir, tableRows(readEventLog(dir).filter((e) => e.seq < nextSeq)));
}

/** Writes metrics.jsonl and agents.jsonl anew with these rows (from tableRows). */
export function writeTables(
  dir: string,
  { metrics, agents }: ReturnType<typeof tableRows>,
): { metrics: number; agents: number } {
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

const lines = (rows: readonly unknown[], line: LineWriter = jsonLine): string =>
  rows.map((row) => `${line(row as Record<string, unknown>)}\n`).join("");

function rewriteLines(path: string, rows: readonly unknown[], line: LineWriter = jsonLine): void {
  writeTextAtomic(path, lines(rows, line));
}

/** The first `count` lines of a JSON Lines text (see jsonLines), each ended by a newline. */
function firstLines(text: string, count: number): string {
  return jsonLines(text)
    .slice(0, count)
    .map((line) => `${line}\n`)
    .join("");
}
