/**
 * Critical-path benchmark: a default Donor Game (12 agents, 2 games x 12 rounds) with every agent
 * on an LLM profile pointing at the local fake OpenAI server, which answers each request after a
 * fixed latency L. Within a generation the two games share nothing and run side by side, and the
 * 12 decisions of a round are independent, so the critical path is one strategy step plus 12
 * rounds per generation: 13 * G * L. The figure of merit is wall time / critical path.
 *
 * npx tsx bench/critical-path.ts [--latency MS] [--generations G] [--no-sequential] [--in-process]
 * [--json]
 *   env: BENCH_LATENCY_MS (200), BENCH_CP_GENERATIONS (3)
 *
 * --no-sequential skips the reference run with `parallelGames: false` (the released code's
 * schedule, 1 + 24 steps per generation); its expected time is printed either way. The fake server
 * runs in a child process (a real endpoint's CPU is not ours); --in-process serves from this event
 * loop.
 *
 * npx tsx bench/critical-path.ts --scenario donor-game|n-agent|mad|transmission
 * [--latencies 50,100,200] [--generations G] [--max-concurrency N] [--cold] [--in-process] [--json]
 *
 * One scenario's shipped LLM config (scenarios/debate/n-agent.yaml, mad.yaml,
 * scenarios/transmission/perez-network.yaml; for donor-game the config above) with its profiles
 * pointed at the fake server, at each latency: wall time, the fewest sequential latencies the
 * config needs (its theoretical minimum), and wall / (that number x L). The config's own
 * `llm.maxConcurrency` applies (the default unless --max-concurrency); cache off. A first run at
 * the first latency warms the process up and is not reported, unless --cold.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
// Loaded here, before any run is timed, as it was before runs imported it at their first call:
// the figures are the runs', not this process's first import of LangChain.
import "../agents/chat/endpoint.js";
import { startRun } from "../sim/app/run.js";
import {
  hasFlag,
  isMain,
  numberOption,
  seconds,
  stringOption,
  tempDir,
  writeConfig,
} from "./common.js";
import { startFakeServer, type ScriptName } from "./fake-server-process.js";

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
  /**
   * This process's CPU time (user + system) during the run per request: engine, scenario and LLM
   * client together (and the server's with --in-process). Less sensitive to load than wall time.
   */
  cpuPerRequestMs: number;
}

export interface CriticalPathFigures {
  latencyMs: number;
  generations: number;
  inProcess: boolean;
  parallel: ScheduleFigures;
  /** The released code's schedule, computed: (1 + 24) * G * L. */
  sequentialExpectedMs: number;
  sequential?: ScheduleFigures;
  /** The same waves through plain node:http, no engine, SDK or LangChain: the machine's floor. */
  floor: FloorFigures;
}

export interface FloorFigures {
  waves: number;
  wallMs: number;
  ratio: number;
  cpuPerRequestMs: number;
}

/**
 * The run's waves (per generation: its strategies, then 12 rounds of 12 donations) sent with
 * nothing but node:http on a keep-alive agent, each wave once the last finished: what the ratio
 * can be on this machine when the client does no work of its own.
 */
async function floorRun(L: number, G: number, inProcess: boolean): Promise<FloorFigures> {
  const server = await startFakeServer({ latencyMs: L, outOfProcess: !inProcess });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(`${server.baseURL}/chat/completions`);
  const body = JSON.stringify({
    model: "test-model",
    messages: [{ role: "user", content: "How much do you give? Answer: 50%" }],
  });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        url,
        { method: "POST", agent, headers: { "content-type": "application/json" } },
        (res) => {
          res.resume().on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const waves: number[] = [];
  for (let g = 1; g <= G; g++) waves.push(g === 1 ? 12 : 6, ...Array<number>(12).fill(12));
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const size of waves) await Promise.all(Array.from({ length: size }, post));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const requests = waves.reduce((a, b) => a + b, 0);
    return {
      waves: waves.length,
      wallMs,
      ratio: wallMs / (waves.length * L),
      cpuPerRequestMs: (cpu.user + cpu.system) / 1000 / requests,
    };
  } finally {
    agent.destroy();
    await server.close();
  }
}

/** A run of the config timed from here: wall clock, this process's CPU, and when it started. */
async function timedRun(configPath: string, out: string) {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await startRun(configPath, { out });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (result.status !== "completed")
    throw new Error(`the benchmark run ended "${result.status}": ${result.error ?? ""}`);
  return { started, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, status: result.status };
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
    const { started, wallMs, cpuMs, status } = await timedRun(configPath, `${tmp.dir}/run`);
    const ended = started + wallMs;

    const arrivals = await server.arrivals();
    const stepsPerGeneration = 1 + (parallelGames ? 12 : 24);
    const criticalPathMs = stepsPerGeneration * G * L;
    return {
      parallelGames,
      status,
      wallMs,
      stepsPerGeneration,
      criticalPathMs,
      ratio: wallMs / criticalPathMs,
      requests: arrivals.length,
      cpuPerRequestMs: cpuMs / Math.max(1, arrivals.length),
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
    floor: await floorRun(options.latencyMs, options.generations, options.inProcess),
  };
  if (options.sequential) figures.sequential = await runOnce(options, false);
  return figures;
}

export const BENCH_SCENARIOS = ["donor-game", "n-agent", "mad", "transmission"] as const;
export type BenchScenario = (typeof BENCH_SCENARIOS)[number];

export interface ScenarioOptions {
  scenario: BenchScenario;
  latencies: number[];
  /** Donor Game only (the shipped debate and transmission configs keep their own). */
  generations: number;
  /** Overrides the config's llm.maxConcurrency (absent: the config's, usually the default). */
  maxConcurrency?: number;
  inProcess: boolean;
  /** Report the process's first run too (module loading included). */
  cold: boolean;
}

export interface ScenarioFigures {
  latencyMs: number;
  wallMs: number;
  /** The fewest latencies one after another that the config needs, whatever the concurrency. */
  minimumLatencies: number;
  /** wallMs / (minimumLatencies x latencyMs). */
  ratio: number;
  requests: number;
  expectedRequests: number;
  /** Groups of requests arriving together (see waveStats): the run's sequential latencies. */
  waves: number;
  startupMs: number;
  teardownMs: number;
  /** Mean time from a wave's last response to the next wave's first request. */
  meanGapMs: number;
  /** As for the Donor Game (see ScheduleFigures). */
  cpuPerRequestMs: number;
}

export interface ScenarioBenchFigures {
  scenario: BenchScenario;
  source: string;
  maxConcurrency: number | "config";
  inProcess: boolean;
  why: string;
  runs: ScenarioFigures[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

type Config = Record<string, any>;

interface ScenarioCase {
  source: string;
  script: ScriptName;
  config(generations: number): Config;
  /** Fewest sequential latencies and requests of a run of `config`, and why. */
  shape(config: Config): { latencies: number; requests: number; why: string };
}

const shipped = (path: string) => (): Config =>
  parseYaml(readFileSync(join(ROOT, path), "utf8")) as Config;

const CASES: Record<BenchScenario, ScenarioCase> = {
  "donor-game": {
    source: "12 LLM agents, 2 games x 12 rounds (bench/critical-path.ts)",
    script: "donor",
    config: (generations) => ({
      scenario: "donor-game",
      seed: 1,
      generations,
      population: { size: 12, minds: [{ count: 12, profile: "fake" }] },
      profiles: { fake: { model: "test-model" } },
      donorGame: { parallelGames: true },
    }),
    shape: (c) => ({
      latencies: 13 * c.generations,
      requests: 12 + 144 + (c.generations - 1) * (6 + 144),
      why: "a strategy step and 12 rounds per generation, the two games side by side",
    }),
  },
  "n-agent": {
    source: "scenarios/debate/n-agent.yaml",
    script: "debate",
    config: shipped("scenarios/debate/n-agent.yaml"),
    shape: (c) => ({
      latencies: c.generations * (c.debate.rounds + 1),
      requests: c.generations * c.debate.questionsPerGeneration * (c.debate.rounds + 1) * 3,
      why: "a first answer and one per round, every question and agent at once",
    }),
  },
  mad: {
    source: "scenarios/debate/mad.yaml (the judge decides only at the end)",
    script: "debate",
    config: shipped("scenarios/debate/mad.yaml"),
    shape: (c) => ({
      latencies: c.generations * (3 * c.debate.rounds + 1),
      requests: c.generations * c.debate.questionsPerGeneration * (3 * c.debate.rounds + 1),
      why: "per round the two sides then the judge, then the final judgement; questions at once",
    }),
  },
  transmission: {
    source: "scenarios/transmission/perez-network.yaml",
    script: "transmission",
    config: shipped("scenarios/transmission/perez-network.yaml"),
    shape: (c) => ({
      latencies: c.generations,
      requests: c.generations * c.population.size,
      why: "one text per agent and generation, a generation's agents at once",
    }),
  },
};

/** The config with every profile on the fake server, without an API key, and no cache. */
function onFakeServer(config: Config, baseURL: string, cacheDir: string, maxConcurrency?: number) {
  const profiles: Config = {};
  for (const [name, profile] of Object.entries(config.profiles as Config)) {
    const { apiKeyEnv: _key, ...rest } = profile as Config;
    profiles[name] = { ...rest, baseURL };
  }
  return {
    ...config,
    profiles,
    cache: { mode: "off", dir: cacheDir },
    ...(maxConcurrency !== undefined ? { llm: { ...config.llm, maxConcurrency } } : {}),
  };
}

async function runScenarioOnce(o: ScenarioOptions, latencyMs: number): Promise<ScenarioFigures> {
  const bench = CASES[o.scenario];
  const server = await startFakeServer({
    latencyMs,
    outOfProcess: !o.inProcess,
    script: bench.script,
  });
  const tmp = tempDir("agora-bench-cp-");
  try {
    const config = onFakeServer(
      bench.config(o.generations),
      server.baseURL,
      `${tmp.dir}/cache`,
      o.maxConcurrency,
    );
    const configPath = writeConfig(tmp.dir, "config.yaml", config);
    const { started, wallMs, cpuMs } = await timedRun(configPath, `${tmp.dir}/run`);
    const shape = bench.shape(config);
    const arrivals = await server.arrivals();
    const waves = waveStats(arrivals, latencyMs, started, started + wallMs, shape.latencies);
    return {
      latencyMs,
      wallMs,
      minimumLatencies: shape.latencies,
      ratio: wallMs / (shape.latencies * latencyMs),
      requests: arrivals.length,
      expectedRequests: shape.requests,
      waves: waves.waves,
      startupMs: waves.startupMs,
      teardownMs: waves.teardownMs,
      meanGapMs: waves.meanGapMs,
      cpuPerRequestMs: cpuMs / Math.max(1, arrivals.length),
    };
  } finally {
    await server.close();
    tmp.remove();
  }
}

export async function benchScenario(o: ScenarioOptions): Promise<ScenarioBenchFigures> {
  const bench = CASES[o.scenario];
  // The process's first run also loads and compiles LangChain, the SDK and the scenario: a run at
  // the first latency, not reported, keeps that out of the first row (--cold keeps it in).
  if (!o.cold) await runScenarioOnce(o, o.latencies[0]!);
  const runs: ScenarioFigures[] = [];
  for (const latencyMs of o.latencies) runs.push(await runScenarioOnce(o, latencyMs));
  return {
    scenario: o.scenario,
    source: bench.source,
    maxConcurrency: o.maxConcurrency ?? "config",
    inProcess: o.inProcess,
    why: bench.shape(bench.config(o.generations)).why,
    runs,
  };
}

export function scenarioOptionsFromArgv(argv: readonly string[]): ScenarioOptions {
  const scenario = stringOption(argv, "scenario") as BenchScenario;
  if (!BENCH_SCENARIOS.includes(scenario))
    throw new Error(
      `--scenario: expected one of ${BENCH_SCENARIOS.join(", ")}, got "${String(scenario)}"`,
    );
  const raw = stringOption(argv, "latencies") ?? "50,100,200";
  const latencies = raw.split(",").map(Number);
  if (latencies.some((l) => !Number.isFinite(l) || l <= 0))
    throw new Error(
      `--latencies: expected positive milliseconds separated by commas, got "${raw}"`,
    );
  const concurrency = stringOption(argv, "max-concurrency");
  const maxConcurrency = concurrency === undefined ? undefined : Number(concurrency);
  if (maxConcurrency !== undefined && !(Number.isInteger(maxConcurrency) && maxConcurrency >= 1))
    throw new Error(`--max-concurrency: expected a positive integer, got "${concurrency}"`);
  return {
    scenario,
    latencies,
    generations: Math.max(
      1,
      Math.round(numberOption(argv, "generations", "BENCH_CP_GENERATIONS", 2)),
    ),
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    inProcess: hasFlag(argv, "in-process"),
    cold: hasFlag(argv, "cold"),
  };
}

export function scenarioReport(f: ScenarioBenchFigures): string {
  const lines = [
    `Critical path: ${f.scenario}, ${f.source}, on the fake server (${f.inProcess ? "in this process" : "own process"}), cache off, llm.maxConcurrency ${f.maxConcurrency === "config" ? "as configured" : f.maxConcurrency}`,
    `  theoretical minimum: ${f.runs[0]?.minimumLatencies ?? "?"} sequential latencies (${f.why})`,
    `  L (ms)   wall (s)   minimum (s)   ratio   waves   start-up / between waves / teardown (ms)   CPU/request (ms)   requests`,
  ];
  for (const r of f.runs)
    lines.push(
      `  ${String(r.latencyMs).padStart(6)}   ${seconds(r.wallMs).padStart(8)}   ${seconds(r.minimumLatencies * r.latencyMs).padStart(11)}   ${r.ratio.toFixed(3).padStart(5)}   ${String(r.waves).padStart(5)}   ` +
        `${`${r.startupMs.toFixed(0)} / ${r.meanGapMs.toFixed(1)} / ${r.teardownMs.toFixed(0)}`.padEnd(41)}   ${r.cpuPerRequestMs.toFixed(2).padStart(16)}   ` +
        `${r.requests}${r.requests === r.expectedRequests ? "" : ` (expected ${r.expectedRequests})`}`,
    );
  return lines.join("\n");
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
    `  ratio                ${p.ratio.toFixed(3)}  (target <= 1.05 at L = 100 ms)`,
    `  floor                ${f.floor.ratio.toFixed(3)}  (the run's ${f.floor.waves} waves through plain node:http, no engine or client library: ${seconds(f.floor.wallMs)} s, ${f.floor.cpuPerRequestMs.toFixed(2)} ms CPU per request)`,
    `  requests             ${p.requests}  (expected ${12 + 144 + (f.generations - 1) * (6 + 144)})`,
    `  waves                ${p.waves}  (expected ${13 * f.generations}; largest ${p.largestWave} requests at once)`,
    `  overhead             startup ${p.startupMs.toFixed(0)} ms, between steps ${p.meanGapMs.toFixed(1)} ms mean / ${p.maxGapMs.toFixed(0)} ms max ` +
      `(rounds ${p.meanRoundGapMs.toFixed(1)} ms${f.generations > 1 ? `, generation boundaries ${p.meanGenerationGapMs.toFixed(1)} ms` : ""}), ` +
      `spread within a step ${p.meanWaveSpreadMs.toFixed(1)} ms, teardown ${p.teardownMs.toFixed(0)} ms`,
    `  wall time split      ${seconds(p.criticalPathMs)} s waiting on the server + ${seconds(p.meanGapMs * Math.max(0, p.waves - 1))} s between steps + ` +
      `${seconds(p.wallMs - p.criticalPathMs - p.meanGapMs * Math.max(0, p.waves - 1))} s start-up, teardown and dispatch`,
    `  per call beyond L    ${p.meanCallOverheadMs.toFixed(1)} ms mean / ${p.maxCallOverheadMs.toFixed(0)} ms max  (llm-call latencyMs - L)`,
    `  CPU per request      ${p.cpuPerRequestMs.toFixed(2)} ms  (this process during the run: engine, scenario and LLM client)`,
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
  if (stringOption(argv, "scenario") !== undefined) {
    const figures = await benchScenario(scenarioOptionsFromArgv(argv));
    console.log(hasFlag(argv, "json") ? JSON.stringify(figures) : scenarioReport(figures));
  } else {
    const figures = await benchCriticalPath(optionsFromArgv(argv));
    console.log(hasFlag(argv, "json") ? JSON.stringify(figures) : report(figures));
  }
}
