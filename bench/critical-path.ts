/**
 * Critical-path benchmark: a default Donor Game (12 agents, 2 games x 12 rounds) with every agent
 * on
 * an LLM profile pointing at the local fake OpenAI server, which answers each request after a fixed
 * latency L. Within a generation the two games share nothing and run side by side, and the 12
 * decisions of a round are independent, so the critical path is one strategy step plus 12 rounds
 * per
 * generation: 13 * G * L. The figure of merit is wall time / critical path (target <= 1.1).
 *
 * npx tsx bench/critical-path.ts [--latency MS] [--generations G] [--no-sequential] [--in-process]
 * [--json]
 *   env: BENCH_LATENCY_MS (200), BENCH_CP_GENERATIONS (3)
 *
 * --no-sequential skips the reference run with `parallelGames: false` (the released code's
 * schedule,
 * 1 + 24 steps per generation); its expected time is printed either way. The fake server runs in a
 * child process (a real endpoint's CPU is not ours); --in-process serves from this event loop.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startRun } from "../sim/app/run.js";
import { hasFlag, isMain, numberOption, seconds, tempDir, writeConfig } from "./common.js";
import { startFakeServer } from "./fake-server-process.js";

export interface CriticalPathOptions {
  latencyMs: number;
  generations: number;
  /** Also measure the sequential-games schedule (parallelGames: false). */
  sequential: boolean;
  /**
   * Serve from this process's event loop instead of a child process (adds the server's CPU to the
   * path).
   */
  inProcess: boolean;
}

export interface ScheduleFigures {
  parallelGames: boolean;
  status: string;
  wallMs: number;
  /** Steps a generation needs when every request of a step is in flight at once. */
  stepsPerGeneration: number;
  criticalPathMs: number;
  ratio: number;
  requests: number;
  /**
   * Groups of requests the server saw arrive together (one per engine step when nothing queues).
   */
  waves: number;
  largestWave: number;
  /** From startRun to the first request: config, graph, recorder, client set-up. */
  startupMs: number;
  /** From the last response to startRun resolving: final generation, manifest, close. */
  teardownMs: number;
  /** Mean time from the first to the last request of a wave: dispatch skew inside a step. */
  meanWaveSpreadMs: number;
  /**
   * Mean time from a wave's last response to the next wave's first request: engine work between
   * steps.
   */
  meanGapMs: number;
  maxGapMs: number;
  /**
   * The same, inside a generation and at generation boundaries (selection, checkpoint with fsync,
   * manifest).
   */
  meanRoundGapMs: number;
  meanGenerationGapMs: number;
  /**
   * Mean and largest latencyMs of llm-call events minus L: what one call adds to the server's
   * latency.
   */
  meanCallOverheadMs: number;
  maxCallOverheadMs: number;
}

export interface CriticalPathFigures {
  latencyMs: number;
  generations: number;
  inProcess: boolean;
  parallel: ScheduleFigures;
  /** The released code's schedule, computed: (1 + 24) * G * L. */
  sequentialExpectedMs: number;
  sequential?: ScheduleFigures;
}

async function runOnce(
  options: CriticalPathOptions,
  parallelGames: boolean,
): Promise<ScheduleFigures> {
  const { latencyMs: L, generations: G } = options;
  const server = await startFakeServer({ latencyMs: L, outOfProcess: !options.inProcess });
  const tmp = tempDir("agora-bench-cp-");
  try {
    const configPath = writeConfig(tmp.dir, "critical-path.yaml", {
      scenario: "donor-game",
      seed: 1,
      generations: G,
      population: { size: 12, minds: [{ count: 12, profile: "fake" }] },
      profiles: { fake: { model: "test-model", baseURL: server.baseURL } },
      llm: { maxConcurrency: 64 },
      cache: { mode: "off", dir: `${tmp.dir}/cache` },
      donorGame: { parallelGames },
    });
    const started = Date.now();
    const t0 = performance.now();
    const result = await startRun(configPath, { out: `${tmp.dir}/run` });
    const wallMs = performance.now() - t0;
    const ended = started + wallMs;
    if (result.status !== "completed")
      throw new Error(`the benchmark run ended "${result.status}": ${result.error ?? ""}`);

    const arrivals = await server.arrivals();
    const stepsPerGeneration = 1 + (parallelGames ? 12 : 24);
    const criticalPathMs = stepsPerGeneration * G * L;
    return {
      parallelGames,
      status: result.status,
      wallMs,
      stepsPerGeneration,
      criticalPathMs,
      ratio: wallMs / criticalPathMs,
      requests: arrivals.length,
      ...waveStats(arrivals, L, started, ended, stepsPerGeneration),
      ...callOverhead(join(tmp.dir, "run", "events.jsonl"), L),
    };
  } finally {
    await server.close();
    tmp.remove();
  }
}

/**
 * Splits the requests into waves by arrival time (a new wave when the next request comes more than
 * L/2 after the previous one) and times what lies between them. receivedAt has millisecond
 * resolution.
 */
function waveStats(
  arrivals: readonly number[],
  L: number,
  started: number,
  ended: number,
  stepsPerGeneration: number,
) {
  const times = [...arrivals].sort((a, b) => a - b);
  const waves: number[][] = [];
  for (const t of times) {
    const current = waves.at(-1);
    if (current && t - current.at(-1)! <= L / 2) current.push(t);
    else waves.push([t]);
  }
  const spreads = waves.map((w) => w.at(-1)! - w[0]!);
  const gaps = waves.slice(1).map((w, i) => w[0]! - (waves[i]!.at(-1)! + L));
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  // Gap i follows wave i; a generation's last wave is followed by selection, the checkpoint and the
  // next strategies.
  const boundary = (i: number) =>
    waves.length === gaps.length + 1 && (i + 1) % stepsPerGeneration === 0;
  return {
    waves: waves.length,
    largestWave: Math.max(0, ...waves.map((w) => w.length)),
    startupMs: times.length > 0 ? times[0]! - started : 0,
    teardownMs: times.length > 0 ? ended - (times.at(-1)! + L) : 0,
    meanWaveSpreadMs: mean(spreads),
    meanGapMs: mean(gaps),
    maxGapMs: Math.max(0, ...gaps),
    meanRoundGapMs: mean(gaps.filter((_, i) => !boundary(i))),
    meanGenerationGapMs: mean(gaps.filter((_, i) => boundary(i))),
  };
}

/** What each call took beyond L, as its llm-call event records (limiter wait, client, HTTP). */
function callOverhead(eventsPath: string, L: number) {
  const excess: number[] = [];
  for (const line of readFileSync(eventsPath, "utf8").split("\n")) {
    if (!line.includes('"llm-call"')) continue;
    const event = JSON.parse(line) as { type: string; latencyMs?: number };
    if (event.type === "llm-call" && event.latencyMs !== undefined)
      excess.push(event.latencyMs - L);
  }
  return {
    meanCallOverheadMs: excess.length === 0 ? 0 : excess.reduce((a, b) => a + b, 0) / excess.length,
    maxCallOverheadMs: Math.max(0, ...excess),
  };
}

export async function benchCriticalPath(
  options: CriticalPathOptions,
): Promise<CriticalPathFigures> {
  const parallel = await runOnce(options, true);
  const figures: CriticalPathFigures = {
    latencyMs: options.latencyMs,
    generations: options.generations,
    inProcess: options.inProcess,
    parallel,
    sequentialExpectedMs: 25 * options.generations * options.latencyMs,
  };
  if (options.sequential) figures.sequential = await runOnce(options, false);
  return figures;
}

export function optionsFromArgv(argv: readonly string[]): CriticalPathOptions {
  return {
    latencyMs: numberOption(argv, "latency", "BENCH_LATENCY_MS", 200),
    generations: Math.max(
      1,
      Math.round(numberOption(argv, "generations", "BENCH_CP_GENERATIONS", 3)),
    ),
    sequential: !hasFlag(argv, "no-sequential"),
    inProcess: hasFlag(argv, "in-process"),
  };
}

export function report(f: CriticalPathFigures): string {
  const p = f.parallel;
  const lines = [
    `Critical path: Donor Game, 12 LLM agents on the fake server (${f.inProcess ? "in this process" : "own process"}), 2 games x 12 rounds, L = ${f.latencyMs} ms, G = ${f.generations}, cache off, maxConcurrency 64`,
    `  wall time            ${seconds(p.wallMs)} s`,
    `  critical path        ${seconds(p.criticalPathMs)} s  (13 steps x ${f.generations} generations x ${f.latencyMs} ms)`,
    `  ratio                ${p.ratio.toFixed(3)}  (target <= 1.1)`,
    `  requests             ${p.requests}  (expected ${12 + 144 + (f.generations - 1) * (6 + 144)})`,
    `  waves                ${p.waves}  (expected ${13 * f.generations}; largest ${p.largestWave} requests at once)`,
    `  overhead             startup ${p.startupMs.toFixed(0)} ms, between steps ${p.meanGapMs.toFixed(1)} ms mean / ${p.maxGapMs.toFixed(0)} ms max ` +
      `(rounds ${p.meanRoundGapMs.toFixed(1)} ms${f.generations > 1 ? `, generation boundaries ${p.meanGenerationGapMs.toFixed(1)} ms` : ""}), ` +
      `spread within a step ${p.meanWaveSpreadMs.toFixed(1)} ms, teardown ${p.teardownMs.toFixed(0)} ms`,
    `  wall time split      ${seconds(p.criticalPathMs)} s waiting on the server + ${seconds(p.meanGapMs * Math.max(0, p.waves - 1))} s between steps + ` +
      `${seconds(p.wallMs - p.criticalPathMs - p.meanGapMs * Math.max(0, p.waves - 1))} s start-up, teardown and dispatch`,
    `  per call beyond L    ${p.meanCallOverheadMs.toFixed(1)} ms mean / ${p.maxCallOverheadMs.toFixed(0)} ms max  (llm-call latencyMs - L)`,
    `  sequential games     ${seconds(f.sequentialExpectedMs)} s expected  (released code's schedule: 1 + 24 steps x ${f.generations} x ${f.latencyMs} ms)`,
  ];
  if (f.sequential) {
    const s = f.sequential;
    lines.push(
      `                       ${seconds(s.wallMs)} s measured with parallelGames: false (ratio ${s.ratio.toFixed(3)} to its own 25-step path, ${s.requests} requests)`,
    );
    lines.push(`  speed-up             ${(s.wallMs / p.wallMs).toFixed(2)}x over sequential games`);
  }
  return lines.join("\n");
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const figures = await benchCriticalPath(optionsFromArgv(argv));
  console.log(hasFlag(argv, "json") ? JSON.stringify(figures) : report(figures));
}
