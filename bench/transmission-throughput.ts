/**
 * Transmission throughput: network-mode cultural transmission on offline policy minds
 * (`text-operators`, no model), texts written per second and peak RSS at several population sizes,
 * each size in a process of its own so that its peak RSS is its own.
 *
 * npx tsx bench/transmission-throughput.ts [--agents 100,1000,10000] [--generations G]
 * [--graph TYPE|JSON] [--policy-path fast|text] [--root DIR] [--json]
 *
 * Defaults: 100, 1,000 and 10,000 agents; generations scaled so each point stays well under a
 * minute (30,000 / agents, between 2 and 10); a Watts-Strogatz graph with k = 10, beta = 0.1 (each
 * agent hears about ten texts; a complete graph at 10,000 agents would put 10,000 texts in every
 * prompt). `--root DIR` runs another checkout's code (e.g. /tmp/wt-base for "before" figures) with
 * the same config; `--policy-path` is left out of the config unless given, so older checkouts
 * accept it.
 *
 * For a profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx
 * bench/transmission-throughput.ts --agents 10000
 */
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { startRun as StartRun } from "../sim/app/run.js";
import {
  BenchChild,
  hasFlag,
  isMain,
  mb,
  numberOption,
  peakRss,
  seconds,
  stringOption,
  tempDir,
  writeConfig,
} from "./common.js";

export interface TransmissionThroughputOptions {
  agents: number;
  generations: number;
  graph: Record<string, unknown>;
  policyPath?: "fast" | "text";
  /** The checkout whose sim/app/run.ts runs the config. */
  root: string;
}

export interface TransmissionThroughputFigures {
  agents: number;
  generations: number;
  graph: Record<string, unknown>;
  policyPath: string;
  root: string;
  texts: number;
  setupMs: number;
  /** First generation start -> last generation end. */
  generationsMs: number;
  wallMs: number;
  generationMs: number[];
  /** Texts over the generations' time (set-up excluded). */
  textsPerSecond: number;
  peakRssBytes: number;
  cpuMs: number;
  /** User + system CPU over the generations only (steadier than wall time on a busy machine). */
  generationsCpuMs: number;
}

const HERE = resolve(fileURLToPath(import.meta.url), "../..");
const DEFAULT_GRAPH = { type: "watts-strogatz", k: 10, beta: 0.1 };

/** 30,000 texts' worth of generations, at least 2 (one with received texts), at most 10. */
export const defaultGenerations = (agents: number): number =>
  Math.min(10, Math.max(2, Math.round(30_000 / agents)));

export async function benchTransmissionThroughput(
  options: TransmissionThroughputOptions,
): Promise<TransmissionThroughputFigures> {
  const { startRun } = (await import(pathToFileURL(join(options.root, "sim/app/run.ts")).href)) as {
    startRun: typeof StartRun;
  };
  const tmp = tempDir("agora-bench-transmission-");
  try {
    const configPath = writeConfig(tmp.dir, "transmission-throughput.yaml", {
      scenario: "transmission",
      seed: 1,
      generations: options.generations,
      population: {
        size: options.agents,
        minds: [{ count: options.agents, policy: "text-operators" }],
      },
      graph: options.graph,
      cache: { mode: "off", dir: join(tmp.dir, "cache") },
      ...(options.policyPath ? { policyPath: options.policyPath } : {}),
      transmission: { mode: "network", transformation: "combine" },
    });
    const generationEnds: number[] = [];
    let setUp = 0;
    let [setUpCpu, endCpu] = [0, 0];
    const cpuNow = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await startRun(configPath, {
      out: join(tmp.dir, "run"),
      onStart: () => {
        setUp = performance.now();
        setUpCpu = cpuNow();
      },
      hooks: {
        onGenerationEnd: () => {
          generationEnds.push(performance.now());
          endCpu = cpuNow();
        },
      },
    });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (result.status !== "completed")
      throw new Error(`the benchmark run ended "${result.status}": ${result.error ?? ""}`);
    const generationsMs = (generationEnds.at(-1) ?? setUp) - setUp;
    const texts = options.agents * options.generations;
    return {
      agents: options.agents,
      generations: options.generations,
      graph: options.graph,
      policyPath: options.policyPath ?? "default",
      root: options.root,
      texts,
      setupMs: setUp - t0,
      generationsMs,
      wallMs,
      generationMs: generationEnds.map(
        (end, i) => end - (i === 0 ? setUp : generationEnds[i - 1]!),
      ),
      textsPerSecond: texts / (generationsMs / 1000),
      peakRssBytes: peakRss(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      generationsCpuMs: endCpu - setUpCpu,
    };
  } finally {
    tmp.remove();
  }
}

function graphOption(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return DEFAULT_GRAPH;
  if (raw.trim().startsWith("{")) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch (error) {
      throw new Error(
        `--graph: got ${JSON.stringify(raw)}, expected a graph type or a JSON object (${String(error)})`,
        { cause: error },
      );
    }
  }
  return { type: raw };
}

function agentCounts(raw: string | undefined): number[] {
  if (raw === undefined) return [100, 1000, 10_000];
  return raw.split(",").map((part) => {
    const n = Number(part.replaceAll("_", ""));
    if (!Number.isInteger(n) || n < 2)
      throw new Error(`--agents: got "${part}", expected comma-separated integers >= 2`);
    return n;
  });
}

export function report(f: TransmissionThroughputFigures): string {
  return (
    `${String(f.agents).padStart(7)} agents  ${String(f.generations).padStart(2)} gen  ` +
    `${String(Math.round(f.textsPerSecond)).padStart(7)} texts/s  ` +
    `gen ${f.generationMs.map((ms) => seconds(ms)).join(" ")} s  set-up ${seconds(f.setupMs)} s  ` +
    `wall ${seconds(f.wallMs)} s  peak RSS ${mb(f.peakRssBytes)} MB  ` +
    `CPU ${seconds(f.cpuMs)} s (generations ${seconds(f.generationsCpuMs)} s: ` +
    `${Math.round(f.texts / (f.generationsCpuMs / 1000))} texts per CPU-second)`
  );
}

/** argv less `--name value` / `--name=value` (the child gets its own). */
const withoutOption = (argv: readonly string[], name: string): string[] =>
  argv.filter(
    (a, i) => a !== `--${name}` && !a.startsWith(`--${name}=`) && argv[i - 1] !== `--${name}`,
  );

type ChildMessage = { kind: "figures"; figures: TransmissionThroughputFigures };

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const counts = agentCounts(stringOption(argv, "agents"));
  const policyPath = stringOption(argv, "policy-path");
  if (policyPath !== undefined && policyPath !== "fast" && policyPath !== "text")
    throw new Error(`--policy-path: got "${policyPath}", expected fast or text`);
  const base: Omit<TransmissionThroughputOptions, "agents" | "generations"> = {
    graph: graphOption(stringOption(argv, "graph")),
    root: resolve(stringOption(argv, "root") ?? HERE),
    ...(policyPath ? { policyPath } : {}),
  };
  const generations = (agents: number) =>
    Math.max(
      1,
      Math.round(
        numberOption(argv, "generations", "BENCH_GENERATIONS", defaultGenerations(agents)),
      ),
    );
  if (hasFlag(argv, "child")) {
    const figures = await benchTransmissionThroughput({
      ...base,
      agents: counts[0]!,
      generations: generations(counts[0]!),
    });
    console.log(JSON.stringify({ kind: "figures", figures } satisfies ChildMessage));
  } else {
    const all: TransmissionThroughputFigures[] = [];
    if (!hasFlag(argv, "json"))
      console.log(
        `Transmission throughput (text-operators policy minds, graph ${JSON.stringify(base.graph)}, code ${base.root})`,
      );
    for (const agents of counts) {
      const child = new BenchChild<ChildMessage>(
        fileURLToPath(import.meta.url),
        [
          ...withoutOption(argv, "agents").filter((a) => a !== "--json"),
          "--child",
          "--agents",
          `${agents}`,
        ],
        `transmission-throughput child (${agents} agents)`,
      );
      try {
        const { figures } = await child.next("figures");
        await child.finish();
        all.push(figures);
        if (!hasFlag(argv, "json")) console.log(report(figures));
      } catch (error) {
        await child.kill();
        throw error;
      }
    }
    if (hasFlag(argv, "json")) console.log(JSON.stringify(all));
  }
}
