/**
 * What `agora resume` checks before it writes anything. A resume truncates the logs back to the
 * checkpoint and continues from it, so a checkpoint or log it cannot trust would be turned into a
 * run that looks complete and is not. Each problem names its file; none is written to.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { parseOrThrow, type LoadedConfig, type Overrides } from "../core/config.js";
import { ConfigError, describeValue, UsageError } from "../core/errors.js";
import type { AgoraEvent, RunStatus } from "../core/events.js";
import {
  eventLogPath,
  FILES,
  jsonLines,
  readCheckpoint,
  readEventLog,
  readLogText,
  readManifest,
  tableRows,
  type Checkpoint,
  type Manifest,
} from "../core/recorder.js";
import { emptyTotals } from "../core/spend.js";

/** A run directory resume refuses (exit 2): every problem found, each naming its file. */
export class RunDirectoryError extends UsageError {
  override name = "RunDirectoryError";

  constructor(
    readonly dir: string,
    readonly problems: readonly string[],
  ) {
    super(
      `cannot resume ${dir}; nothing in it was changed:\n${problems.map((p) => `  ${p}`).join("\n")}`,
    );
  }
}

/** What a run's start recorded of its config, for resume to resolve it again. */
export interface SourceRecord {
  raw: unknown;
  overrides: Overrides;
  configDir: string;
}

export type ResumableManifest = Manifest & { source: SourceRecord };

const STATUSES = [
  "running",
  "completed",
  "budget-exhausted",
  "failed",
  "interrupted",
] as const satisfies readonly RunStatus[];

const count = z.number().int().min(0);
const present = (what: string) =>
  z.custom<unknown>((value) => value !== undefined && value !== null, what);

/** The manifest fields resume reads. */
const manifestSchema = z.object({
  runId: z.string(),
  status: z.enum(STATUSES),
  configHash: z.string(),
  config: z.object({ generations: z.number().int().min(1) }),
  source: z.object({
    raw: present("the raw config the run was started with"),
    overrides: z.record(z.string(), z.unknown()),
    configDir: z.string(),
  }),
  startedAt: z.string(),
  generationsCompleted: count,
  cache: z.object({ dir: z.string() }),
  resumes: z.array(z.unknown()),
});

const checkpointSchema = z.object({
  version: z.literal(1),
  generation: z.number().int().min(1),
  nextSeq: z.number().int().min(1),
  population: present("the population carried into the next generation"),
  totals: z.object(Object.fromEntries(Object.keys(emptyTotals()).map((key) => [key, z.number()]))),
  // `corrupt` is newer than version-1 checkpoints: absent means none were met.
  cache: z.object({ hits: count, misses: count, corrupt: count.optional() }),
});

/** `value` against `schema`, or its first problem as "FILE: not a valid WHAT: field: got ...". */
function shapeProblem(
  path: string,
  what: string,
  schema: z.ZodType,
  value: unknown,
): string | undefined {
  try {
    parseOrThrow(schema, value);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return `${path}: not a valid ${what}: ${error.message}`;
    throw error;
  }
}

/**
 * The manifest of a run directory, checked to hold what resume reads (the CLI reads it first, for
 * the status and the number of generations).
 */
export function readResumableManifest(dir: string): ResumableManifest {
  const path = join(dir, FILES.manifest);
  if (!existsSync(path))
    throw new RunDirectoryError(dir, [`${path}: missing; is ${dir} a run directory?`]);
  const manifest = orRefuse(
    () => readManifest(dir),
    (problems) => {
      throw new RunDirectoryError(dir, problems);
    },
  );
  const problem = shapeProblem(path, "run manifest", manifestSchema, manifest);
  if (problem) throw new RunDirectoryError(dir, [problem]);
  return manifest as ResumableManifest;
}

/** The config a manifest's source resolves to now, which must be the one it recorded. */
export function checkRecordedConfig(
  dir: string,
  manifest: ResumableManifest,
  resolve: () => LoadedConfig,
): LoadedConfig {
  const path = join(dir, FILES.manifest);
  let loaded: LoadedConfig;
  try {
    loaded = resolve();
  } catch (error) {
    if (error instanceof ConfigError)
      throw new RunDirectoryError(dir, [`${path}: source: the recorded config: ${error.message}`]);
    throw error;
  }
  if (loaded.hash !== manifest.configHash) {
    throw new RunDirectoryError(dir, [
      `${path}: configHash ${manifest.configHash.slice(0, 12)}, but its source config now resolves to ${loaded.hash.slice(0, 12)}; was Agora upgraded in between?`,
    ]);
  }
  return loaded;
}

export interface ResumePlan {
  /** Null: no generation was completed, and the run starts again from the beginning. */
  checkpoint: Checkpoint | null;
  /** Lines of each log the checkpoint covers, kept by RunRecorder.reopen. */
  keep: Record<"events" | "metrics" | "agents", number>;
  /**
   * `--repair`: the rows metrics.jsonl and agents.jsonl are written again with first (the ones the
   * checked events carry), or null when they are sound.
   */
  rebuildTables: ReturnType<typeof tableRows> | null;
}

const TABLES = ["metrics", "agents"] as const;

/**
 * Checks that a run directory can be continued from its checkpoint: the checkpoint's shape and
 * version; events.jsonl holding seq 0 to nextSeq - 1 without a gap, from this run's run-started to
 * the checkpointed generation's generation-ended; metrics.jsonl and agents.jsonl holding exactly
 * the rows those events carry. Lines past the checkpoint are what the resume redoes, so they are
 * not checked. With `repair`, missing or different tables are allowed: they are rebuilt from
 * events.jsonl. Throws a RunDirectoryError listing every problem found.
 */
export function checkResumable(
  dir: string,
  manifest: ResumableManifest,
  loaded: LoadedConfig,
  repair = false,
): ResumePlan {
  const path = (name: keyof typeof FILES) => join(dir, FILES[name]);
  const refuse = (problems: string[]): never => {
    throw new RunDirectoryError(dir, problems);
  };

  if (!existsSync(path("checkpoint"))) {
    // Starting over rewrites the logs: safe only while no checkpoint can have covered them. A crash
    // between the first generation's last events and its checkpoint leaves that one generation
    // ended in events.jsonl alone (the manifest counts a generation after its checkpoint); like
    // the lines past any checkpoint, it is redone.
    const ended = orRefuse(() => readEventLog(dir), refuse).filter(
      (e) => e.type === "generation-ended",
    ).length;
    if (manifest.generationsCompleted > 0 || ended > 1) {
      refuse([
        `${path("checkpoint")}: missing, but ${
          manifest.generationsCompleted > 0
            ? `manifest.json records ${manifest.generationsCompleted} completed generation(s)`
            : `events.jsonl records ${ended} completed generations`
        }; starting over would erase them`,
      ]);
    }
    return { checkpoint: null, keep: { events: 0, metrics: 0, agents: 0 }, rebuildTables: null };
  }
  const raw: unknown = orRefuse(() => readCheckpoint(dir), refuse);
  const shape = shapeProblem(path("checkpoint"), "checkpoint", checkpointSchema, raw);
  if (shape) refuse([shape]);
  const checkpoint = raw as Checkpoint;
  const { generation, nextSeq } = checkpoint;
  const { generations } = loaded.config;
  if (generation > generations)
    refuse([
      `${path("checkpoint")}: generation ${generation} is past the config's ${generations} generation(s)`,
    ]);
  if (manifest.generationsCompleted > generation)
    refuse([
      `${path("checkpoint")}: generation ${generation} is behind manifest.json's generationsCompleted ${manifest.generationsCompleted}: the checkpoint is older than the run`,
    ]);

  const events = checkEvents(eventLogPath(dir), checkpoint, manifest.configHash, refuse);
  if (typeof events === "string") refuse([events]);
  const expected = tableRows(events as AgoraEvent[]);
  const keep = {
    events: nextSeq,
    metrics: expected.metrics.length,
    agents: expected.agents.length,
  };

  const tableProblems = TABLES.flatMap((name) => {
    const problem = checkTable(path(name), expected[name], generation);
    return problem ? [problem] : [];
  });
  if (tableProblems.length > 0 && !repair)
    refuse(
      tableProblems.map((p) => `${p}; \`agora resume --repair\` writes it again from events.jsonl`),
    );
  return { checkpoint, keep, rebuildTables: tableProblems.length > 0 ? expected : null };
}

/**
 * What `read` returns; a file it cannot read (unreadable JSON, a compressed log damaged other than
 * by a torn tail) is refused, naming the file.
 */
function orRefuse<T>(read: () => T, refuse: (problems: string[]) => never): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UsageError) refuse([error.message]);
    throw error;
  }
}

/** The checkpointed events (seq 0 to nextSeq - 1), or what is wrong with them. */
function checkEvents(
  path: string,
  checkpoint: Checkpoint,
  configHash: string,
  refuse: (problems: string[]) => never,
): AgoraEvent[] | string {
  const { generation, nextSeq } = checkpoint;
  const needs = `the checkpoint needs seq 0 to ${nextSeq - 1}`;
  if (!existsSync(path)) return `${path}: missing; ${needs}`;
  const lines = jsonLines(orRefuse(() => readLogText(path), refuse));
  if (lines.length < nextSeq)
    return `${path}: holds ${lines.length} event(s) but ${needs}: the checkpoint is ahead of the log`;
  const events: AgoraEvent[] = [];
  for (const [i, line] of lines.slice(0, nextSeq).entries()) {
    let event: AgoraEvent;
    try {
      event = JSON.parse(line) as AgoraEvent;
    } catch {
      return `${path}: line ${i + 1} is not JSON (${describeValue(line.slice(0, 60))}): a damaged line where ${needs}`;
    }
    if (event?.seq !== i)
      return `${path}: line ${i + 1} has seq ${describeValue(event?.seq)}, expected ${i}: a gap or a stray line where ${needs}`;
    events.push(event);
  }
  const first = events[0]!;
  if (first.type !== "run-started" || first.configHash !== configHash)
    return `${path}: does not begin with this run's run-started (configHash ${configHash.slice(0, 12)})`;
  const last = events.at(-1)!;
  if (last.type !== "generation-ended" || last.t.generation !== generation)
    return `${path}: seq ${nextSeq - 1} is a ${last.type} of generation ${last.t.generation}, but the checkpoint says generation ${generation} ended there`;
  return events;
}

/** Whether a table's first lines are the rows the checkpointed events carry. */
function checkTable(
  path: string,
  rows: readonly Record<string, unknown>[],
  generation: number,
): string | undefined {
  if (!existsSync(path))
    return `${path}: missing; the checkpoint needs its rows of generations 1 to ${generation}`;
  const lines = jsonLines(readFileSync(path, "utf8"));
  if (lines.length < rows.length)
    return `${path}: holds ${lines.length} row(s), but generations 1 to ${generation} have ${rows.length}`;
  for (const [i, row] of rows.entries()) {
    let found: string;
    try {
      found = JSON.stringify(JSON.parse(lines[i]!));
    } catch {
      return `${path}: line ${i + 1} is not JSON (${describeValue(lines[i]!.slice(0, 60))})`;
    }
    if (found !== JSON.stringify(row))
      return `${path}: line ${i + 1} is not the row events.jsonl records for generation ${describeValue(row.generation)}`;
  }
  return undefined;
}
