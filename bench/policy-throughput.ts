/**
 * Policy-mind throughput: a large Donor Game on offline policy minds (no network), to measure what
 * the engine, the scenario, the mind runtime and the recorder cost per decision: decisions per
 * second and peak RSS at several population sizes, each size in a process of its own so that its
 * peak RSS is its own.
 *
 * npx tsx bench/policy-throughput.ts [--agents 100,1000,10000,100000] [--generations G]
 * [--rounds R] [--graph TYPE] [--path fast|text] [--json]
 * env: BENCH_AGENTS, BENCH_POLICY_GENERATIONS, BENCH_ROUNDS (12), BENCH_GRAPH (complete)
 *
 * Defaults: 100, 1,000, 10,000 and 100,000 agents in equal fifths of constant / tit-for-tat /
 * image-scoring / defect / random, generations scaled so each point stays under a minute
 * (40,000 / agents, between 1 and 100), 2 games x 12 rounds per generation: agents / 2 decisions
 * per round and game, so 12 x agents decisions per generation. `--path text` sends the policies
 * through the text path an LLM takes (prompt, chat-model interface, parser) instead of their fast
 * path. The run directory goes to a temp dir, deleted afterwards. Set-up (config, graph and its
 * statistics, recorder) is timed apart from the generations.
 *
 * For a profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/policy-throughput.ts
 * --agents 1000
 */
import { createReadStream, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { startRun } from "../sim/app/run.js";
import {
  BenchChild,
  hasFlag,
  isMain,
  mb,
  numberOption,
  peakRss,
  policyMix,
  seconds,
  stringOption,
  tempDir,
  writeConfig,
} from "./common.js";

export interface ThroughputOptions {
  agents: number;
  generations: number;
  rounds: number;
  /** A graph type that needs no parameters: complete (the default), cycle, star. */
  graph: string;
  /** How policies answer: their fast path (the default) or the text path. */
  path: "fast" | "text";
}

export interface ThroughputFigures {
  agents: number;
  generations: number;
  rounds: number;
  graph: string;
  path: string;
  status: string;
  /** startRun called -> run set up (config, graph, graph statistics, recorder, manifest). */
  setupMs: number;
  /** First generation start -> last generation end. */
  generationsMs: number;
  /** startRun called -> startRun resolved. */
  wallMs: number;
  /** Per generation, in order. */
  generationMs: number[];
  decisions: number;
  /** Decisions over the generations' time (set-up excluded). */
  decisionsPerSecond: number;
  /** Decisions over the whole wall time. */
  decisionsPerSecondWall: number;
  /**
   * Decisions over the CPU time of the generations (all threads): what one core would do, less
   * sensitive than wall time to a busy machine.
   */
  decisionsPerCpuSecond: number;
  /** Mind calls: decisions plus strategy statements. */
  mindCalls: number;
  events: number;
  eventsByType: Record<string, number>;
  eventsBytes: number;
  /** events.jsonl bytes by event type (run-started carries the whole graph). */
  bytesByType: Record<string, number>;
  peakRssBytes: number;
  heapUsedBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /**
   * User + system CPU over the generations only (less sensitive than wall time to a busy machine).
   */
  generationsCpuMs: number;
}

export async function benchPolicyThroughput(
  options: ThroughputOptions,
): Promise<ThroughputFigures> {
  const tmp = tempDir("agora-bench-policy-");
  try {
    const configPath = writeConfig(tmp.dir, "policy-throughput.yaml", {
      scenario: "donor-game",
      seed: 1,
      generations: options.generations,
      population: { size: options.agents, minds: policyMix(options.agents) },
      graph: { type: options.graph },
      policyPath: options.path,
      cache: { mode: "off", dir: join(tmp.dir, "cache") },
      donorGame: { rounds: options.rounds },
    });
    const out = join(tmp.dir, "run");
    const generationEnds: number[] = [];
    let setUp = 0;
    let setUpCpu = { user: 0, system: 0 };
    let endCpu = { user: 0, system: 0 };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await startRun(configPath, {
      out,
      onStart: () => {
        setUp = performance.now();
        setUpCpu = process.cpuUsage();
      },
      hooks: {
        onGenerationEnd: () => {
          generationEnds.push(performance.now());
          endCpu = process.cpuUsage();
        },
      },
    });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const heapUsedBytes = process.memoryUsage().heapUsed;
    // Before events.jsonl is read back below: the run's own peak, not the counting's.
    const peakRssBytes = peakRss();
    if (result.status !== "completed")
      throw new Error(`the benchmark run ended "${result.status}": ${result.error ?? ""}`);

    const eventsPath = join(out, "events.jsonl");
    const eventsBytes = statSync(eventsPath).size;
    const { eventsByType, bytesByType, decisions, mindCalls } = await countEvents(eventsPath);
    const generationMs = generationEnds.map(
      (end, i) => end - (i === 0 ? setUp : generationEnds[i - 1]!),
    );
    const generationsMs = (generationEnds.at(-1) ?? setUp) - setUp;
    const generationsCpuMs = (endCpu.user + endCpu.system - setUpCpu.user - setUpCpu.system) / 1000;
    return {
      ...options,
      status: result.status,
      setupMs: setUp - t0,
      generationsMs,
      wallMs,
      generationMs,
      decisions,
      decisionsPerSecond: decisions / (generationsMs / 1000),
      decisionsPerSecondWall: decisions / (wallMs / 1000),
      decisionsPerCpuSecond: decisions / (generationsCpuMs / 1000),
      mindCalls,
      events: Object.values(eventsByType).reduce((a, b) => a + b, 0),
      eventsByType,
      eventsBytes,
      bytesByType,
      peakRssBytes,
      heapUsedBytes,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      generationsCpuMs,
    };
  } finally {
    tmp.remove();
  }
}

/**
 * Streams events.jsonl: events by type, decisions (donation / punishment / refusal interactions),
 * mind calls.
 */
async function countEvents(path: string) {
  const eventsByType: Record<string, number> = {};
  const bytesByType: Record<string, number> = {};
  let decisions = 0;
  let strategies = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    // The type and the interaction kind are near the start of a line; no need to parse the whole
    // event.
    const type = /"type":"([^"]+)"/.exec(line)?.[1] ?? "?";
    eventsByType[type] = (eventsByType[type] ?? 0) + 1;
    bytesByType[type] = (bytesByType[type] ?? 0) + Buffer.byteLength(line) + 1;
    if (type === "interaction") {
      const kind = /"kind":"([^"]+)"/.exec(line)?.[1];
      if (kind === "donation" || kind === "punishment" || kind === "refusal") decisions++;
      else if (kind === "strategy-revised") strategies++;
    } else if (type === "agent-created") strategies++;
  }
  return { eventsByType, bytesByType, decisions, mindCalls: decisions + strategies };
}

/** Generations per point: about 480,000 decisions (12 x agents per generation), 1 to 100. */
export const defaultGenerations = (agents: number): number =>
  Math.min(100, Math.max(1, Math.round(40_000 / agents)));

const DEFAULT_AGENTS = [100, 1_000, 10_000, 100_000];

/** `--agents 100,1000` (or BENCH_AGENTS): the population sizes, each a positive even number. */
function agentCounts(raw: string | undefined): number[] {
  if (raw === undefined || raw === "") return DEFAULT_AGENTS;
  return raw.split(",").map((part) => {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 2 || n % 2 !== 0)
      throw new Error(`--agents / BENCH_AGENTS: "${part}" is not an even number of agents >= 2`);
    return n;
  });
}

/** The options of each point, in order. */
export function optionsFromArgv(argv: readonly string[]): ThroughputOptions[] {
  const path = stringOption(argv, "path") ?? "fast";
  if (path !== "fast" && path !== "text")
    throw new Error(`--path: got "${path}", expected fast or text`);
  const int = (name: string, env: string, fallback: number) =>
    Math.max(1, Math.round(numberOption(argv, name, env, fallback)));
  return agentCounts(stringOption(argv, "agents") ?? process.env.BENCH_AGENTS).map((agents) => ({
    agents,
    generations: int("generations", "BENCH_POLICY_GENERATIONS", defaultGenerations(agents)),
    rounds: int("rounds", "BENCH_ROUNDS", 12),
    graph: stringOption(argv, "graph") ?? process.env.BENCH_GRAPH ?? "complete",
    path,
  }));
}

export function report(f: ThroughputFigures): string {
  const perGen = f.generationMs.map((ms) => seconds(ms)).join(" ");
  return [
    `Policy throughput: ${f.agents} policy agents, ${f.generations} generations x 2 games x ${f.rounds} rounds, ${f.graph} graph, ${f.path} path`,
    `  decisions            ${f.decisions}  (${f.mindCalls} mind calls with strategies)`,
    `  decisions / s        ${Math.round(f.decisionsPerSecond)}  over the generations; ${Math.round(f.decisionsPerSecondWall)} over the whole wall time; ${Math.round(f.decisionsPerCpuSecond)} per CPU second of the generations`,
    `  wall time            ${seconds(f.wallMs)} s  (set-up ${seconds(f.setupMs)} s, generations ${seconds(f.generationsMs)} s)`,
    `  per generation       ${perGen} s`,
    `  events               ${f.events}  (${Object.entries(f.eventsByType)
      .sort((a, b) => b[1] - a[1])
      .map(([type, n]) => `${type} ${n}`)
      .join(", ")})`,
    `  events.jsonl         ${mb(f.eventsBytes)} MB  (${Object.entries(f.bytesByType)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([type, bytes]) => `${type} ${mb(bytes)} MB`)
      .join(
        ", ",
      )}; ${Math.round((f.bytesByType.interaction ?? 0) / Math.max(1, f.eventsByType.interaction ?? 0))} bytes per interaction)`,
    `  peak RSS             ${mb(f.peakRssBytes)} MB  (heap used at the end ${mb(f.heapUsedBytes)} MB)`,
    `  CPU                  user ${seconds(f.cpuUserMs)} s, system ${seconds(f.cpuSystemMs)} s  (generations ${seconds(f.generationsCpuMs)} s)`,
  ].join("\n");
}

/** One line per point, for the summary after a sweep. */
export function summary(all: readonly ThroughputFigures[]): string {
  return [
    "| agents | generations | decisions | decisions/s | decisions/CPU s | peak RSS MB | wall s |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...all.map(
      (f) =>
        `| ${f.agents} | ${f.generations} | ${f.decisions} | ${Math.round(f.decisionsPerSecond)} | ${Math.round(f.decisionsPerCpuSecond)} | ${mb(f.peakRssBytes)} | ${seconds(f.wallMs)} |`,
    ),
  ].join("\n");
}

type ChildMessage = { kind: "figures"; figures: ThroughputFigures };

/** argv without `--name value` / `--name=value`. */
const withoutOption = (argv: readonly string[], name: string): string[] =>
  argv.filter(
    (a, i) => a !== `--${name}` && !a.startsWith(`--${name}=`) && argv[i - 1] !== `--${name}`,
  );

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const points = optionsFromArgv(argv);
  if (hasFlag(argv, "child")) {
    const figures = await benchPolicyThroughput(points[0]!);
    console.log(JSON.stringify({ kind: "figures", figures } satisfies ChildMessage));
  } else {
    const all: ThroughputFigures[] = [];
    for (const point of points) {
      const child = new BenchChild<ChildMessage>(
        fileURLToPath(import.meta.url),
        [
          ...withoutOption(argv, "agents").filter((a) => a !== "--json"),
          "--child",
          "--agents",
          `${point.agents}`,
        ],
        `policy-throughput child (${point.agents} agents)`,
      );
      try {
        // A point of many generations may take long; the child fails loudly if something is wrong.
        const { figures } = await child.next("figures", 24 * 3_600_000);
        await child.finish();
        all.push(figures);
        if (!hasFlag(argv, "json")) console.log(`${report(figures)}\n`);
      } catch (error) {
        await child.kill();
        throw error;
      }
    }
    // One point as a single object (bench/run-all.ts reads it so), several as a list.
    if (hasFlag(argv, "json")) console.log(JSON.stringify(all.length === 1 ? all[0] : all));
    else if (all.length > 1) console.log(summary(all));
  }
}
