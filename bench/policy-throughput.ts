/**
 * Policy-mind throughput: a large Donor Game on offline policy minds (no network), to measure what
 * the engine, the scenario, the mind runtime and the recorder cost per decision.
 *
 * npx tsx bench/policy-throughput.ts [--agents N] [--generations G] [--rounds R] [--graph TYPE]
 * [--json]
 * env: BENCH_AGENTS (1000), BENCH_POLICY_GENERATIONS (10), BENCH_ROUNDS (12), BENCH_GRAPH
 * (complete)
 *
 * Defaults: 1,000 agents in equal fifths of constant / tit-for-tat / image-scoring / defect /
 * random,
 * 10 generations of 2 games x 12 rounds: each round is 500 decisions per game, so 12,000 decisions
 * per
 * generation. The run directory goes to a temp dir, deleted afterwards. Set-up (config, graph and
 * its
 * statistics, recorder) is timed apart from the generations, since the graph statistics of a large
 * complete graph dominate it.
 *
 * For a profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/policy-throughput.ts
 */
import { createReadStream, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { startRun } from "../sim/app/run.js";
import {
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
}

export interface ThroughputFigures {
  agents: number;
  generations: number;
  rounds: number;
  graph: string;
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
    if (result.status !== "completed")
      throw new Error(`the benchmark run ended "${result.status}": ${result.error ?? ""}`);

    const eventsPath = join(out, "events.jsonl");
    const eventsBytes = statSync(eventsPath).size;
    const { eventsByType, bytesByType, decisions, mindCalls } = await countEvents(eventsPath);
    const generationMs = generationEnds.map(
      (end, i) => end - (i === 0 ? setUp : generationEnds[i - 1]!),
    );
    const generationsMs = (generationEnds.at(-1) ?? setUp) - setUp;
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
      mindCalls,
      events: Object.values(eventsByType).reduce((a, b) => a + b, 0),
      eventsByType,
      eventsBytes,
      bytesByType,
      peakRssBytes: peakRss(),
      heapUsedBytes,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      generationsCpuMs: (endCpu.user + endCpu.system - setUpCpu.user - setUpCpu.system) / 1000,
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

export function optionsFromArgv(argv: readonly string[]): ThroughputOptions {
  const int = (name: string, env: string, fallback: number) =>
    Math.max(1, Math.round(numberOption(argv, name, env, fallback)));
  return {
    agents: int("agents", "BENCH_AGENTS", 1000),
    generations: int("generations", "BENCH_POLICY_GENERATIONS", 10),
    rounds: int("rounds", "BENCH_ROUNDS", 12),
    graph: stringOption(argv, "graph") ?? process.env.BENCH_GRAPH ?? "complete",
  };
}

export function report(f: ThroughputFigures): string {
  const perGen = f.generationMs.map((ms) => seconds(ms)).join(" ");
  return [
    `Policy throughput: ${f.agents} policy agents, ${f.generations} generations x 2 games x ${f.rounds} rounds, ${f.graph} graph`,
    `  decisions            ${f.decisions}  (${f.mindCalls} mind calls with strategies)`,
    `  decisions / s        ${Math.round(f.decisionsPerSecond)}  over the generations; ${Math.round(f.decisionsPerSecondWall)} over the whole wall time`,
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

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const figures = await benchPolicyThroughput(optionsFromArgv(argv));
  console.log(hasFlag(argv, "json") ? JSON.stringify(figures) : report(figures));
}
