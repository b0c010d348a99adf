/**
 * Runs every benchmark, each in a process of its own (so peak RSS is its own), prints each one's
 * report and then a markdown table of the figures for the README.
 *
 *   npx tsx bench/run-all.ts [--skip-sequential] [--skip-viewer] [--skip-batch] [--json]
 *
 * Options reach the benchmarks through their environment variables: BENCH_LATENCY_MS,
 * BENCH_CP_GENERATIONS (critical path); BENCH_AGENTS, BENCH_POLICY_GENERATIONS, BENCH_ROUNDS,
 * BENCH_GRAPH (policy throughput); BENCH_VIEWER_AGENTS, BENCH_VIEWER_GENERATIONS,
 * BENCH_VIEWER_ROUNDS, BENCH_VIEWER_M, BENCH_VIEWER_RATE, BENCH_VIEWER_BASELINES,
 * BENCH_VIEWER_STATIC, BENCH_CHROMIUM, BENCH_CHROMIUM_ARGS (viewer stream); BENCH_BATCH_SEEDS,
 * BENCH_BATCH_LATENCY_MS, BENCH_BATCH_GENERATIONS (batches, local and over Redis; --skip-batch
 * leaves them out). The viewer stream needs Chromium and the built viewer; when it cannot run, the
 * other figures are still printed, with a note.
 */
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { hasFlag, mb, seconds } from "./common.js";
import { report as criticalPathReport, type CriticalPathFigures } from "./critical-path.js";
import { report as throughputReport, type ThroughputFigures } from "./policy-throughput.js";
import { report as batchReport, type BatchFigures } from "./batch-local.js";
import {
  markdownRows as viewerStreamRows,
  report as viewerStreamReport,
  type ViewerStreamFigures,
} from "./viewer-stream.js";

/** Runs a benchmark file under the same loader as this process and returns its --json output. */
function runBench<T>(file: string, args: string[] = []): Promise<T> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  // The tsx loader flags this process runs under, not profiling flags.
  const execArgv = process.execArgv.filter(
    (a) => !a.startsWith("--cpu-prof") && !a.startsWith("--heap-prof"),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, path, "--json", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${file} exited with code ${code}`));
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${file} printed no JSON figures:\n${out}`));
      }
    });
  });
}

export function markdownTable(
  cp: CriticalPathFigures,
  tp: ThroughputFigures,
  vs?: ViewerStreamFigures,
  batches: BatchFigures[] = [],
): string {
  const p = cp.parallel;
  const rows: [string, string][] = [
    [
      `Critical path: wall time (12 LLM agents, G = ${cp.generations}, L = ${cp.latencyMs} ms)`,
      `${seconds(p.wallMs)} s`,
    ],
    ["Critical path: 13 steps x G x L", `${seconds(p.criticalPathMs)} s`],
    ["Critical path: wall / critical path (target <= 1.1)", p.ratio.toFixed(3)],
    ["Critical path: requests served", `${p.requests}`],
    ["Critical path: engine time between steps (mean)", `${p.meanGapMs.toFixed(1)} ms`],
    [
      "Sequential games (released schedule, 25 steps x G x L)",
      cp.sequential
        ? `${seconds(cp.sequential.wallMs)} s measured (${seconds(cp.sequentialExpectedMs)} s ideal)`
        : `${seconds(cp.sequentialExpectedMs)} s ideal`,
    ],
    [
      `Policy throughput: decisions/s (${tp.agents} agents, ${tp.generations} generations, ${tp.graph} graph)`,
      `${Math.round(tp.decisionsPerSecond)}`,
    ],
    ["Policy throughput: decisions", `${tp.decisions}`],
    [
      "Policy throughput: wall time (set-up + generations)",
      `${seconds(tp.wallMs)} s (${seconds(tp.setupMs)} + ${seconds(tp.generationsMs)} s)`,
    ],
    ["Policy throughput: events", `${tp.events}`],
    ["Policy throughput: events.jsonl", `${mb(tp.eventsBytes)} MB`],
    ["Policy throughput: peak RSS", `${mb(tp.peakRssBytes)} MB`],
    ...(vs ? viewerStreamRows(vs) : []),
    ...batches.flatMap((b): [string, string][] => [
      [
        `Batch ${b.mode === "local" ? "in one process" : `over Redis, ${b.workers} workers`}: ${b.seeds} seeds x 12 LLM agents, L = ${b.latencyMs} ms, G = ${b.generations}: wall time / one run (target <= 1.2)`,
        `${b.ratio.toFixed(2)} (${seconds(b.batchMs)} s / ${seconds(b.singleRunMs)} s)`,
      ],
    ]),
  ];
  const cpu = cpus();
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} x ${cpu[0]?.model ?? "?"}, Node ${process.version}.`,
    "",
    "| Figure | Value |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ].join("\n");
}

const argv = process.argv.slice(2);
const load = loadavg()[0]!;
if (load > cpus().length * 0.5)
  console.error(
    `note: load average ${load.toFixed(1)} on ${cpus().length} cores; figures from a busy machine run slow.`,
  );
const cp = await runBench<CriticalPathFigures>(
  "./critical-path.ts",
  hasFlag(argv, "skip-sequential") ? ["--no-sequential"] : [],
);
if (!hasFlag(argv, "json")) console.log(`${criticalPathReport(cp)}\n`);
// One point (the script's default is a sweep of four sizes): 1,000 agents unless BENCH_AGENTS says.
const tp = await runBench<ThroughputFigures>("./policy-throughput.ts", [
  "--agents",
  process.env.BENCH_AGENTS ?? "1000",
]);
if (!hasFlag(argv, "json")) console.log(`${throughputReport(tp)}\n`);
let vs: ViewerStreamFigures | undefined;
if (!hasFlag(argv, "skip-viewer")) {
  vs = await runBench<ViewerStreamFigures>("./viewer-stream.ts").catch((error: Error) => {
    console.error(`note: the viewer stream benchmark did not run: ${error.message}`);
    return undefined;
  });
  if (vs && !hasFlag(argv, "json")) console.log(`${viewerStreamReport(vs)}\n`);
}
const batches: BatchFigures[] = [];
if (!hasFlag(argv, "skip-batch")) {
  batches.push(await runBench<BatchFigures>("./batch-local.ts"));
  batches.push(await runBench<BatchFigures>("./batch-redis.ts"));
  if (!hasFlag(argv, "json")) for (const b of batches) console.log(`${batchReport(b)}\n`);
}
if (hasFlag(argv, "json"))
  console.log(
    JSON.stringify({
      criticalPath: cp,
      policyThroughput: tp,
      ...(vs ? { viewerStream: vs } : {}),
      ...(batches.length > 0 ? { batches } : {}),
    }),
  );
else console.log(markdownTable(cp, tp, vs, batches));
