/**
 * Checked against theory: cooperators and defectors in the Donor Game's classic payoff under
 * death-birth updating on random regular graphs of degree k, swept over b/c, next to the rule of
 * Ohtsuki, Hauert, Lieberman & Nowak (2006, Nature 441:502): cooperation is favoured when
 * b/c > k, in a population of N when b/c > (N - 2) / (N / k - 2).
 *
 * npx tsx bench/ohtsuki.ts [--quick] [--runs M] [--k 3,4,6] [--multiples 0.5,1,1.25,1.5,2,3]
 * [--bc 2,4,8] [--agents N] [--intensity w] [--updates u] [--steps T] [--rounds R]
 * [--cooperators n] [--workers P] [--seed S] [--json]
 *
 * Each run is a Donor Game of `cooperate` and `defect` policy agents (n cooperators, default N/2,
 * on the graph's first n nodes: a random regular graph's labels carry no structure) with
 * `payoff: classic` (cost c = 1, benefit b = (b/c) c), `schedule: graph` (each round a seeded
 * random matching over the graph's edges; game 2 replays game 1 reversed, so a matched pair is
 * one mutual exchange) and `update: { rule: death-birth, intensity: w, updates: u, fitness:
 * linear }`. A generation's score is the mean of its two games, so it is a noisy estimate of half
 * the payoff over k neighbours the theory uses (the partners are R random matchings' worth of
 * neighbours, with repeats, and an agent may be left unmatched in a round). With u > 1 updates
 * per generation the updates of a generation share that generation's scores, and an agent
 * replaced this generation neither dies nor reproduces again in it: an approximation of the
 * textbook process (one update, then new payoffs) that makes runs u times cheaper. A run stops
 * after T updates (rounded up to whole generations) or as soon as one strategy has taken over.
 * The outcome is the cooperators' share at the end, averaged over runs (different seeds: a new
 * graph, placement and play each); with no selection its expectation is the starting share n / N
 * (death-birth on a regular graph is then a martingale), which is the neutral reference. The
 * same seeds are used at every b/c of a degree, so the points of a row share graphs and starts.
 * Runs go to a temp directory (in RAM under /dev/shm when there is one: the recorder's fsyncs
 * would dominate on a disk), deleted afterwards, spread over `--workers` child processes.
 */
import { existsSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Rng } from "../sim/core/rng.js";
import { startRun } from "../sim/app/run.js";
import { bootstrapMeanCI, mean } from "../sim/toolkit/stats.js";
import type { DonorPopulation } from "../scenarios/donor-game/scenario.js";
import {
  BenchChild,
  hasFlag,
  isMain,
  numberOption,
  seconds,
  stringOption,
  tempDir,
  writeConfig,
} from "./common.js";

export interface OhtsukiOptions {
  /** Population size N (even: the Donor Game splits agents into two halves). */
  agents: number;
  degrees: number[];
  /** b/c values as multiples of each k, unless `ratios` gives them outright. */
  multiples: number[];
  ratios: number[] | null;
  /** Selection intensity w of the linear fitness 1 - w + w * score. */
  intensity: number;
  /** Death-birth updates per generation. */
  updates: number;
  /** Updates per run (rounded up to whole generations). */
  steps: number;
  /** Rounds per game; null: k. */
  rounds: number | null;
  cooperators: number;
  runs: number;
  workers: number;
  seed: number;
}

/** One run's settings. */
interface Job {
  index: number;
  agents: number;
  k: number;
  bc: number;
  rounds: number;
  intensity: number;
  updates: number;
  generations: number;
  cooperators: number;
  seed: number;
}

/** One run's outcome. */
interface RunOutcome {
  index: number;
  /** Cooperators' share when the run stopped. */
  share: number;
  /** Generations with selection played (fewer than the budget when a strategy took over). */
  generations: number;
  strandedUpdates: number;
  isolatedAgents: number;
  cpuMs: number;
}

type ChildMessage = { kind: "result"; outcome: RunOutcome };

const COST = 1;

/** Ohtsuki et al.'s finite-population threshold for death-birth; Infinity when N/k <= 2. */
export const finiteThreshold = (n: number, k: number): number =>
  n / k > 2 ? (n - 2) / (n / k - 2) : Infinity;

/**
 * The lowest score there is: a cooperator matched with a defector in each of R rounds pays c once
 * per round over the two games, and the score is the mean of the two games.
 */
const lowestScore = (rounds: number): number => (-rounds * COST) / 2;

/** Runs one job's Donor Game in `dir` and reads the cooperators' share after each generation. */
async function runOne(job: Job, dir: string): Promise<RunOutcome> {
  const configPath = writeConfig(dir, `run-${job.index}.yaml`, {
    scenario: "donor-game",
    seed: job.seed,
    // The last generation plays but selects nothing: one more than the generations with
    // selection, stopped (below) before it starts.
    generations: job.generations + 1,
    population: {
      size: job.agents,
      minds: [
        { count: job.cooperators, policy: "cooperate" },
        { count: job.agents - job.cooperators, policy: "defect" },
      ],
    },
    graph: { type: "random-regular", k: job.k },
    cache: { mode: "off", dir: join(dir, "cache") },
    donorGame: {
      payoff: "classic",
      benefit: job.bc * COST,
      cost: COST,
      schedule: "graph",
      rounds: job.rounds,
      update: {
        rule: "death-birth",
        intensity: job.intensity,
        updates: job.updates,
        fitness: "linear",
      },
    },
  });
  const out = join(dir, `run-${job.index}`);
  const stop = new AbortController();
  const outcome: RunOutcome = {
    index: job.index,
    share: job.cooperators / job.agents,
    generations: 0,
    strandedUpdates: 0,
    isolatedAgents: 0,
    cpuMs: 0,
  };
  const cpu0 = process.cpuUsage();
  try {
    const result = await startRun(configPath, {
      out,
      signal: stop.signal,
      hooks: {
        onGenerationEnd: ({ generation, population, metrics }) => {
          const { agents } = population as DonorPopulation;
          let cooperating = 0;
          for (const a of agents)
            if (a.mind.kind === "policy" && a.mind.policy === "cooperate") cooperating++;
          outcome.share = cooperating / agents.length;
          outcome.generations = generation;
          outcome.strandedUpdates += Number(metrics.strandedUpdates ?? 0);
          outcome.isolatedAgents = Math.max(
            outcome.isolatedAgents,
            Number(metrics.isolatedAgents ?? 0),
          );
          // Without mutation nothing changes once one strategy holds every place.
          if (generation >= job.generations || cooperating === 0 || cooperating === agents.length)
            stop.abort();
        },
      },
    });
    // "interrupted" is the stop above; "completed" cannot happen before it, but is harmless.
    if (result.status !== "interrupted" && result.status !== "completed")
      throw new Error(
        `run ${job.index} (k ${job.k}, b/c ${job.bc}, seed ${job.seed}) ended "${result.status}": ${result.error ?? ""}`,
      );
  } finally {
    // Each run's directory goes as soon as it is read: a sweep writes thousands.
    rmSync(out, { recursive: true, force: true });
  }
  const cpu = process.cpuUsage(cpu0);
  outcome.cpuMs = (cpu.user + cpu.system) / 1000;
  return outcome;
}

/** Where run directories go: RAM when the machine has /dev/shm (fsyncs cost little there). */
const runsParent = (): string => (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());

/** Every run of the sweep: per degree, per b/c, `runs` seeds (the same seeds at every b/c). */
export function jobsOf(o: OhtsukiOptions): Job[] {
  const jobs: Job[] = [];
  for (const k of o.degrees) {
    const rounds = o.rounds ?? k;
    for (const bc of ratiosFor(o, k))
      for (let r = 0; r < o.runs; r++)
        jobs.push({
          index: jobs.length,
          agents: o.agents,
          k,
          bc,
          rounds,
          intensity: o.intensity,
          updates: o.updates,
          generations: Math.ceil(o.steps / o.updates),
          cooperators: o.cooperators,
          seed: o.seed + r,
        });
  }
  return jobs;
}

const ratiosFor = (o: OhtsukiOptions, k: number): number[] =>
  o.ratios ?? o.multiples.map((m) => Number((m * k).toFixed(6)));

/** A child process: runs the jobs that arrive on stdin, one JSON line each, in order. */
async function childLoop(): Promise<void> {
  const tmp = tempDir("agora-bench-ohtsuki-", runsParent());
  try {
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      const outcome = await runOne(JSON.parse(line) as Job, tmp.dir);
      console.log(JSON.stringify({ kind: "result", outcome } satisfies ChildMessage));
    }
  } finally {
    tmp.remove();
  }
}

/** Runs the jobs on `workers` child processes (or in this one for a single worker). */
async function runJobs(
  jobs: readonly Job[],
  workers: number,
  progress: (done: number) => void,
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  if (workers <= 1) {
    const tmp = tempDir("agora-bench-ohtsuki-", runsParent());
    try {
      for (const job of jobs) {
        outcomes.push(await runOne(job, tmp.dir));
        progress(outcomes.length);
      }
    } finally {
      tmp.remove();
    }
    return outcomes;
  }
  const file = fileURLToPath(import.meta.url);
  const children = Array.from(
    { length: Math.min(workers, jobs.length) },
    (_, i) => new BenchChild<ChildMessage>(file, ["--child"], `ohtsuki worker ${i + 1}`),
  );
  let next = 0;
  try {
    await Promise.all(
      children.map(async (child) => {
        while (next < jobs.length) {
          child.send(JSON.stringify(jobs[next++]));
          // A run that never fixes takes its whole budget; a day is "something is wrong".
          const { outcome } = await child.next("result", 24 * 3_600_000);
          outcomes.push(outcome);
          progress(outcomes.length);
        }
        await child.finish();
      }),
    );
  } catch (error) {
    await Promise.all(children.map((child) => child.kill()));
    throw error;
  }
  return outcomes.sort((a, b) => a.index - b.index);
}

export interface OhtsukiRow {
  k: number;
  agents: number;
  bc: number;
  runs: number;
  /** Mean cooperator share at the end, with its percentile-bootstrap 95% interval. */
  share: number;
  ciLow: number;
  ciHigh: number;
  /** The share expected without selection: the starting share. */
  neutral: number;
  /** Runs that ended with cooperators (or defectors) in every place. */
  allCooperate: number;
  allDefect: number;
  meanGenerations: number;
  strandedUpdates: number;
  isolatedAgents: number;
  /** Ohtsuki et al.: favoured when b/c > k; finite N: when b/c > (N - 2) / (N / k - 2). */
  favouredByK: boolean;
  finiteThreshold: number;
  favouredFinite: boolean;
  measured: "favoured" | "disfavoured" | "not distinguishable";
}

export function summarise(o: OhtsukiOptions, jobs: readonly Job[], outcomes: RunOutcome[]) {
  const rows: OhtsukiRow[] = [];
  for (const k of o.degrees)
    for (const bc of ratiosFor(o, k)) {
      const mine = outcomes.filter((r) => jobs[r.index]!.k === k && jobs[r.index]!.bc === bc);
      const shares = mine.map((r) => r.share);
      const share = mean(shares)!;
      // The project's percentile bootstrap of the mean, seeded per point.
      const [ciLow, ciHigh] = bootstrapMeanCI(shares, new Rng(o.seed, ["ohtsuki-ci", k, bc])) ?? [
        share,
        share,
      ];
      const neutral = o.cooperators / o.agents;
      const threshold = finiteThreshold(o.agents, k);
      rows.push({
        k,
        agents: o.agents,
        bc,
        runs: mine.length,
        share,
        ciLow,
        ciHigh,
        neutral,
        allCooperate: mine.filter((r) => r.share === 1).length,
        allDefect: mine.filter((r) => r.share === 0).length,
        meanGenerations: mean(mine.map((r) => r.generations))!,
        strandedUpdates: mine.reduce((sum, r) => sum + r.strandedUpdates, 0),
        isolatedAgents: Math.max(0, ...mine.map((r) => r.isolatedAgents)),
        favouredByK: bc > k,
        finiteThreshold: threshold,
        favouredFinite: bc > threshold,
        measured:
          ciLow > neutral ? "favoured" : ciHigh < neutral ? "disfavoured" : "not distinguishable",
      });
    }
  return rows;
}

/**
 * Per degree: the measured threshold lies above the highest b/c where cooperators measurably lose
 * and at or below the lowest where they measurably win; the mean's crossing of the neutral share
 * is interpolated linearly. The theory's threshold "appears where it puts it" when it lies in that
 * bracket and no point is measurably on its wrong side.
 */
export function verdicts(rows: readonly OhtsukiRow[]): string[] {
  const lines: string[] = [];
  const agreeing: number[] = [];
  const contradicted: number[] = [];
  const degrees = [...new Set(rows.map((r) => r.k))];
  for (const k of degrees) {
    const mine = rows.filter((r) => r.k === k).sort((a, b) => a.bc - b.bc);
    const finite = mine[0]!.finiteThreshold;
    const against = mine.filter((r) => r.measured === "disfavoured").map((r) => r.bc);
    const favour = mine.filter((r) => r.measured === "favoured").map((r) => r.bc);
    const lo = Math.max(-Infinity, ...against);
    const hi = Math.min(Infinity, ...favour);
    let crossing: number | null = null;
    for (let i = 1; i < mine.length && crossing === null; i++) {
      const da = mine[i - 1]!.share - mine[i - 1]!.neutral;
      const db = mine[i]!.share - mine[i]!.neutral;
      if (da <= 0 && db > 0)
        crossing = mine[i - 1]!.bc + ((mine[i]!.bc - mine[i - 1]!.bc) * -da) / (db - da);
    }
    const wrong = (t: number) =>
      mine.filter(
        (r) =>
          (r.measured === "favoured" && r.bc <= t) || (r.measured === "disfavoured" && r.bc > t),
      );
    const inside = (t: number) => lo < t && t <= hi;
    const says = (name: string, t: number) =>
      `${name} ${fmt(t, 2)} ${inside(t) ? "inside" : "outside"}` +
      (wrong(t).length === 0
        ? ""
        : `, b/c ${wrong(t)
            .map((r) => r.bc)
            .join(", ")} measurably on its wrong side`);
    // Agreement needs both sides measured: a point measurably against below the threshold and one
    // measurably for above it.
    const bracketed = Number.isFinite(lo) && Number.isFinite(hi);
    if (wrong(finite).length > 0) contradicted.push(k);
    else if (bracketed && inside(finite)) agreeing.push(k);
    lines.push(
      `k = ${k}: measured threshold in (${Number.isFinite(lo) ? lo : "-inf"}, ${Number.isFinite(hi) ? hi : "inf"}]` +
        ` (lose measurably at b/c ${against.join(", ") || "none"}; win measurably at b/c ${favour.join(", ") || "none"}),` +
        ` mean share crosses ${fmt(mine[0]!.neutral, 2)} at b/c ~ ${crossing === null ? "- (no crossing)" : crossing.toFixed(2)};` +
        ` theory: ${says("b/c > k =", k)}; ${says("finite-N b/c >", finite)}`,
    );
  }
  const open = degrees.filter((k) => !agreeing.includes(k) && !contradicted.includes(k));
  lines.push(
    `Verdict: the finite-N threshold appears where the theory puts it (measured on both sides, inside the bracket, no point measurably on its wrong side) for k = ${agreeing.join(", ") || "none"}` +
      (contradicted.length > 0 ? `; contradicted for k = ${contradicted.join(", ")}` : "") +
      (open.length > 0
        ? `; inconclusive for k = ${open.join(", ")} (not measured on both sides, or outside the bracket)`
        : "") +
      ". The bracket is only as narrow as the b/c grid and the CIs allow.",
  );
  return lines;
}

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : "inf");
const pad = (text: string, width: number): string => text.padStart(width);

export interface OhtsukiFigures {
  options: OhtsukiOptions;
  rows: OhtsukiRow[];
  wallMs: number;
  /** CPU of every run (all workers). */
  runsCpuMs: number;
  loadAverage: number[];
  cpus: number;
}

export function report(f: OhtsukiFigures): string {
  const o = f.options;
  const roundsText = o.rounds === null ? "R = k" : `R = ${o.rounds}`;
  const generations = Math.ceil(o.steps / o.updates);
  const header = [
    `Ohtsuki et al. (2006) check: cooperate vs defect policies, Donor Game payoff: classic (c = ${COST}, b = (b/c) c), schedule: graph, death-birth updating on random regular graphs`,
    `  N = ${o.agents} agents, ${o.cooperators} cooperators at the start (neutral reference: share ${fmt(o.cooperators / o.agents, 3)}), degrees k = ${o.degrees.join(", ")}`,
    `  selection: death-birth, linear fitness 1 - w + w * score, w = ${o.intensity}; score = mean of 2 games of ${roundsText} rounds (each round a random matching over the edges; a matched pair cooperates or defects both ways),`,
    `    i.e. about half the payoff over k neighbours of the theory, estimated from R matched partners drawn with repeats (noisy)`,
    `  updates: u = ${o.updates} death-birth events per generation (u = 1 is the textbook process; u > 1 shares one generation's scores across u updates: an approximation), ` +
      `T = ${generations * o.updates} updates per run (${generations} generations, ${fmt((generations * o.updates) / o.agents, 1)} per agent), stopped early when one strategy fills every place`,
    `  outcome: cooperators' share at the end, mean over ${o.runs} runs per point (seeds ${o.seed}..${o.seed + o.runs - 1}, the same at every b/c of a k; each seed draws its own graph and play), percentile-bootstrap 95% CI (sim/toolkit/stats.ts)`,
    `  measured: favoured / disfavoured when the CI lies above / below the neutral share; prediction: b/c > k, and the finite-N form b/c > (N - 2) / (N / k - 2)`,
    `  selection strength: fitness 1 - w + w * s with s in [-R c / 2, R b / 2]; at the largest b/c the fittest possible agent has fitness ${o.degrees
      .map((k) => {
        const rounds = o.rounds ?? k;
        const top = Math.max(...ratiosFor(o, k)) * COST;
        return `${fmt(1 - o.intensity + (o.intensity * rounds * top) / 2, 2)} (k = ${k})`;
      })
      .join(", ")}: moderate, not the weak selection the rule is derived for`,
  ];
  const table = [
    "|  k |   N |    b/c | runs | coop share [95% CI]   | neutral | all-C | all-D | gens | b/c > k | finite-N thr. | b/c > thr. | measured            |",
    "| -- | --- | ------ | ---- | --------------------- | ------- | ----- | ----- | ---- | ------- | ------------- | ---------- | ------------------- |",
    ...f.rows.map(
      (r) =>
        `| ${pad(String(r.k), 2)} | ${pad(String(r.agents), 3)} | ${pad(fmt(r.bc, 2), 6)} | ${pad(String(r.runs), 4)} | ` +
        `${fmt(r.share, 3)} [${fmt(r.ciLow, 3)}, ${fmt(r.ciHigh, 3)}] | ${pad(fmt(r.neutral, 3), 7)} | ${pad(String(r.allCooperate), 5)} | ${pad(String(r.allDefect), 5)} | ` +
        `${pad(fmt(r.meanGenerations, 0), 4)} | ${pad(r.favouredByK ? "yes" : "no", 7)} | ${pad(fmt(r.finiteThreshold, 2), 13)} | ${pad(r.favouredFinite ? "yes" : "no", 10)} | ${r.measured.padEnd(19)} |`,
    ),
  ];
  const stranded = f.rows.reduce((sum, r) => sum + r.strandedUpdates, 0);
  const isolated = Math.max(0, ...f.rows.map((r) => r.isolatedAgents));
  return [
    ...header,
    "",
    ...table,
    "",
    ...verdicts(f.rows),
    "",
    `  stranded updates (a dead agent with no unreplaced neighbour) over all runs: ${stranded}; isolated agents at most ${isolated}`,
    `  ${f.rows.reduce((sum, r) => sum + r.runs, 0)} runs on ${o.workers} worker(s): wall ${seconds(f.wallMs)} s, CPU of the runs ${seconds(f.runsCpuMs)} s; ${f.cpus} cores, load average ${f.loadAverage.map((l) => l.toFixed(2)).join(" ")} at the end`,
  ].join("\n");
}

const list = (raw: string, name: string, check: (v: number) => boolean, expected: string) =>
  raw.split(",").map((part) => {
    const v = Number(part);
    if (part.trim() === "" || !check(v)) throw new Error(`--${name}: "${part}" is not ${expected}`);
    return v;
  });

export function optionsFromArgv(argv: readonly string[]): OhtsukiOptions {
  const quick = hasFlag(argv, "quick");
  const agents = numberOption(argv, "agents", "BENCH_OHTSUKI_AGENTS", 100);
  if (!Number.isInteger(agents) || agents < 4 || agents % 2 !== 0)
    throw new Error(`--agents: got ${agents}, expected an even number >= 4`);
  const degrees = list(
    stringOption(argv, "k") ?? (quick ? "4" : "3,4,6"),
    "k",
    (k) => Number.isInteger(k) && k >= 2 && k < agents && (agents * k) % 2 === 0,
    `a degree k >= 2 below N = ${agents} with N * k even`,
  );
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  const multiples = list(
    stringOption(argv, "multiples") ?? "0.5,1,1.25,1.5,2,3",
    "multiples",
    positive,
    "a positive number",
  );
  const bc = stringOption(argv, "bc");
  const ratios = bc === undefined ? null : list(bc, "bc", positive, "a positive b/c");
  const int = (name: string, env: string, fallback: number, min: number, max: number) => {
    const v = numberOption(argv, name, env, fallback);
    if (!Number.isInteger(v) || v < min || v > max)
      throw new Error(`--${name} / ${env}: got ${v}, expected an integer in [${min}, ${max}]`);
    return v;
  };
  const intensity = numberOption(argv, "intensity", "BENCH_OHTSUKI_W", 0.1);
  const roundsRaw = stringOption(argv, "rounds");
  const rounds = roundsRaw === undefined ? null : int("rounds", "BENCH_OHTSUKI_ROUNDS", 1, 1, 1e6);
  // Linear fitness must stay >= 0 at the lowest score any run can reach (the selection module
  // would stop the run; better to say so before the sweep).
  for (const k of degrees) {
    const floor = lowestScore(rounds ?? k);
    if (1 - intensity + intensity * floor < 0)
      throw new Error(
        `--intensity: w = ${intensity} makes the linear fitness 1 - w + w * s negative at the lowest score s = ${floor} (k = ${k}, ${rounds ?? k} rounds); use w <= ${fmt(1 / (1 - floor), 4)}`,
      );
  }
  return {
    agents,
    degrees,
    multiples,
    ratios,
    intensity,
    updates: int(
      "updates",
      "BENCH_OHTSUKI_UPDATES",
      Math.max(1, Math.round(agents / 10)),
      1,
      agents,
    ),
    steps: int("steps", "BENCH_OHTSUKI_STEPS", 20 * agents, 1, 1e9),
    rounds,
    cooperators: int("cooperators", "BENCH_OHTSUKI_COOPERATORS", agents / 2, 1, agents - 1),
    runs: int("runs", "BENCH_OHTSUKI_RUNS", quick ? 12 : 40, 2, 1e6),
    workers: int("workers", "BENCH_OHTSUKI_WORKERS", Math.min(2, cpus().length), 1, 64),
    seed: int("seed", "BENCH_OHTSUKI_SEED", 1, 0, 2 ** 31),
  };
}

export async function benchOhtsuki(o: OhtsukiOptions, quiet = false): Promise<OhtsukiFigures> {
  const jobs = jobsOf(o);
  const t0 = performance.now();
  let shown = 0;
  const outcomes = await runJobs(jobs, o.workers, (done) => {
    // Progress on stderr, every tenth of the sweep.
    const tenth = Math.floor((10 * done) / jobs.length);
    if (!quiet && tenth > shown) {
      shown = tenth;
      process.stderr.write(
        `ohtsuki: ${done}/${jobs.length} runs, ${seconds(performance.now() - t0)} s\n`,
      );
    }
  });
  return {
    options: o,
    rows: summarise(o, jobs, outcomes),
    wallMs: performance.now() - t0,
    runsCpuMs: outcomes.reduce((sum, r) => sum + r.cpuMs, 0),
    loadAverage: loadavg(),
    cpus: cpus().length,
  };
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  if (hasFlag(argv, "child")) await childLoop();
  else {
    const figures = await benchOhtsuki(optionsFromArgv(argv), hasFlag(argv, "json"));
    console.log(hasFlag(argv, "json") ? JSON.stringify(figures) : report(figures));
  }
}
