/**
 * Event-log size: bytes per event of a 1,000-agent complete-graph Donor Game on policy minds,
 * written plain (events.jsonl) and compressed (`--compress`, events.jsonl.gz), with the plain log's
 * size by event type (run-started carries the social graph).
 *
 * npx tsx bench/event-log.ts [--agents 1000] [--generations 2] [--rounds 12] [--root DIR]
 * [--json]
 * env: BENCH_AGENTS, BENCH_LOG_GENERATIONS, BENCH_ROUNDS
 *
 * `--root DIR` runs another checkout's code (the "before" figures: `--root /tmp/wt-base`); one
 * whose recorder knows no events.jsonl.gz reports the plain log only. Each log's run is timed too
 * (wall and CPU of the whole run, recording included), but the run is mostly the engine: see
 * bench/policy-throughput.ts for decisions per second. The run directories go to a temp dir,
 * deleted afterwards.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import {
  hasFlag,
  isMain,
  mb,
  numberOption,
  policyMix,
  seconds,
  stringOption,
  tempDir,
  writeConfig,
} from "./common.js";

export interface EventLogOptions {
  agents: number;
  generations: number;
  rounds: number;
  /** The checkout whose code runs (default: this one). */
  root: string;
}

export interface LogFigures {
  file: string;
  events: number;
  bytes: number;
  bytesPerEvent: number;
  wallMs: number;
  cpuMs: number;
}

export interface EventLogFigures extends Omit<EventLogOptions, "root"> {
  root: string;
  plain: LogFigures;
  /** Null when the checkout has no compressed log. */
  compressed: LogFigures | null;
  /** Plain bytes by event type, largest first. */
  byType: { type: string; events: number; bytes: number }[];
  /**
   * The recorder alone: the plain run's events appended again through the checkout's RunRecorder,
   * in batches of one step's events, a checkpoint at every generation end; CPU microseconds per
   * event (best of three), plain and (where the checkout has it) compressed.
   */
  recorderUsPerEvent: { plain: number; compressed: number | null };
}

interface Recorder {
  appendEvents(events: readonly unknown[]): void;
  writeCheckpoint(checkpoint: unknown): void;
  close(): void;
}
type CreateRecorder = (dir: string, options?: { compress?: boolean }) => Recorder;

type StartRun = (
  configPath: string,
  options: { out: string; compress?: boolean },
) => Promise<{ status: string; error?: string }>;

export async function benchEventLog(options: EventLogOptions): Promise<EventLogFigures> {
  const run = (await import(pathToFileURL(join(options.root, "sim/app/run.ts")).href)) as {
    startRun: StartRun;
  };
  const tmp = tempDir("agora-bench-event-log-");
  try {
    const configPath = writeConfig(tmp.dir, "event-log.yaml", {
      scenario: "donor-game",
      seed: 1,
      generations: options.generations,
      population: { size: options.agents, minds: policyMix(options.agents) },
      graph: { type: "complete" },
      cache: { mode: "off", dir: join(tmp.dir, "cache") },
      donorGame: { rounds: options.rounds },
    });
    const dirOf = (compress: boolean) => join(tmp.dir, compress ? "gz" : "plain");
    const record = async (compress: boolean): Promise<LogFigures> => {
      const out = dirOf(compress);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await run.startRun(configPath, { out, compress });
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (result.status !== "completed")
        throw new Error(`the benchmark run ended "${result.status}": ${result.error ?? ""}`);
      const file = existsSync(join(out, "events.jsonl.gz")) ? "events.jsonl.gz" : "events.jsonl";
      const bytes = statSync(join(out, file)).size;
      const events = countLines(readLog(join(out, file)));
      return {
        file,
        events,
        bytes,
        bytesPerEvent: bytes / events,
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
      };
    };
    const plain = await record(false);
    const canCompress = readFileSync(join(options.root, "sim/core/recorder.ts"), "utf8").includes(
      "events.jsonl.gz",
    );
    const compressed = canCompress ? await record(true) : null;
    const { RunRecorder } = (await import(
      pathToFileURL(join(options.root, "sim/core/recorder.ts")).href
    )) as { RunRecorder: { create: CreateRecorder } };
    const events = readLog(join(dirOf(false), "events.jsonl"))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { type: string; t: { generation: number } });
    const recorderCost = (compress: boolean): number => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const recorder = RunRecorder.create(join(tmp.dir, `recorder-${compress}-${i}`), {
          compress,
        });
        const cpu0 = process.cpuUsage();
        // Batches as the engine flushes them: one Donor Game step is agents / 2 donations.
        const step = Math.max(1, options.agents >> 1);
        for (let at = 0; at < events.length; at += step) {
          const batch = events.slice(at, at + step);
          recorder.appendEvents(batch);
          for (const e of batch)
            if (e.type === "generation-ended")
              recorder.writeCheckpoint({ version: 1, generation: e.t.generation });
        }
        recorder.close();
        const cpu = process.cpuUsage(cpu0);
        best = Math.min(best, (cpu.user + cpu.system) / events.length);
      }
      return best;
    };
    return {
      agents: options.agents,
      generations: options.generations,
      rounds: options.rounds,
      root: options.root,
      plain,
      compressed,
      byType: sizeByType(readLog(join(dirOf(false), "events.jsonl"))),
      recorderUsPerEvent: {
        plain: recorderCost(false),
        compressed: canCompress ? recorderCost(true) : null,
      },
    };
  } finally {
    tmp.remove();
  }
}

const readLog = (path: string): string => {
  const data = readFileSync(path);
  return (path.endsWith(".gz") ? gunzipSync(data) : data).toString("utf8");
};

function countLines(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

function sizeByType(text: string): EventLogFigures["byType"] {
  const types = new Map<string, { events: number; bytes: number }>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /"type":"([^"]+)"/.exec(line)?.[1] ?? "?";
    const entry = types.get(type) ?? { events: 0, bytes: 0 };
    entry.events++;
    entry.bytes += Buffer.byteLength(line) + 1;
    types.set(type, entry);
  }
  return [...types.entries()]
    .map(([type, entry]) => ({ type, ...entry }))
    .sort((a, b) => b.bytes - a.bytes);
}

function print(f: EventLogFigures): void {
  const line = (name: string, l: LogFigures) =>
    `  ${name.padEnd(16)} ${l.events.toLocaleString("en-US")} events, ${mb(l.bytes)} MB, ${l.bytesPerEvent.toFixed(1)} bytes/event (run ${seconds(l.wallMs)} s wall, ${seconds(l.cpuMs)} s CPU)`;
  console.log(
    `Event log: ${f.agents} policy agents, complete graph, ${f.generations} generation(s) x 2 games x ${f.rounds} rounds (code: ${f.root})`,
  );
  console.log(line(f.plain.file, f.plain));
  if (f.compressed) {
    console.log(line(f.compressed.file, f.compressed));
    console.log(`  compression ratio ${(f.plain.bytes / f.compressed.bytes).toFixed(1)}x`);
  } else console.log("  compressed: not supported by this checkout");
  const { plain, compressed } = f.recorderUsPerEvent;
  console.log(
    `  recorder alone: ${plain.toFixed(2)} us CPU per event plain${compressed === null ? "" : `, ${compressed.toFixed(2)} compressed`}`,
  );
  console.log(`  ${f.plain.file} by event type:`);
  for (const t of f.byType)
    console.log(
      `    ${t.type.padEnd(18)} ${t.events.toLocaleString("en-US").padStart(9)} events ${mb(t.bytes).padStart(7)} MB ${((100 * t.bytes) / f.plain.bytes).toFixed(1).padStart(5)} %`,
    );
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const figures = await benchEventLog({
    agents: numberOption(argv, "agents", "BENCH_AGENTS", 1000),
    generations: numberOption(argv, "generations", "BENCH_LOG_GENERATIONS", 2),
    rounds: numberOption(argv, "rounds", "BENCH_ROUNDS", 12),
    root: resolve(stringOption(argv, "root") ?? join(import.meta.dirname, "..")),
  });
  if (hasFlag(argv, "json")) console.log(JSON.stringify(figures));
  else print(figures);
}
