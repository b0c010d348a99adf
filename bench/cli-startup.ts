/**
 * CLI start-up cost: the CPU time (user + system) and wall time of `agora --version` and
 * `agora validate scenarios/donor-game/offline-demo.yaml`, each the median of N runs, started the
 * way a user starts them (`node bin/agora.js ...`):
 *
 * - built: the compiled CLI in dist/ (rebuilt incrementally first; AGORA_FROM_SOURCE=0 keeps
 *   bin/agora.js on it even if a source changes meanwhile);
 * - sources: the TypeScript sources through tsx (AGORA_FROM_SOURCE=1), as before the build.
 *
 *   npx tsx bench/cli-startup.ts [--runs N] [--json]
 *
 * A child's CPU time is read from the child itself: a preloaded module writes `process.cpuUsage()`
 * when it exits (to a file, so its output is untouched).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hasFlag, isMain, numberOption, tempDir } from "./common.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "agora.js");
const CONFIG = "scenarios/donor-game/offline-demo.yaml";

const COMMANDS: Record<string, string[]> = {
  "--version": ["--version"],
  [`validate ${CONFIG}`]: ["validate", CONFIG],
};

const MODES: Record<string, NodeJS.ProcessEnv> = {
  built: { AGORA_FROM_SOURCE: "0" },
  sources: { AGORA_FROM_SOURCE: "1" },
};

/** Writes the process's CPU time (user + system, ms) to $CLI_STARTUP_CPU_FILE at exit. */
const PRELOAD = `data:text/javascript,${encodeURIComponent(`
  import { writeFileSync } from "node:fs";
  process.on("exit", () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(process.env.CLI_STARTUP_CPU_FILE, String((user + system) / 1000));
  });`)}`;

export interface StartupFigure {
  mode: string;
  command: string;
  runs: number;
  /** Medians, in milliseconds. */
  cpuMs: number;
  wallMs: number;
}

interface Sample {
  cpuMs: number;
  wallMs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function once(args: string[], env: NodeJS.ProcessEnv, cpuFile: string): Promise<Sample> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", PRELOAD, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, CLI_STARTUP_CPU_FILE: cpuFile },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) {
        return reject(new Error(`agora ${args.join(" ")} exited with ${code}:\n${stderr}`));
      }
      resolve({ cpuMs: Number(readFileSync(cpuFile, "utf8")), wallMs });
    });
  });
}

export async function measure(runs: number): Promise<StartupFigure[]> {
  const buildArgs = [join(ROOT, "bin", "build.js"), "--allow-type-errors"];
  const build = spawnSync(process.execPath, buildArgs, { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("node bin/build.js failed");
  const tmp = tempDir("agora-bench-cli-");
  const cpuFile = join(tmp.dir, "cpu");
  try {
    const figures: StartupFigure[] = [];
    for (const [mode, env] of Object.entries(MODES)) {
      for (const [command, args] of Object.entries(COMMANDS)) {
        await once(args, env, cpuFile); // warms the file cache (and tsx's)
        const samples: Sample[] = [];
        for (let i = 0; i < runs; i++) samples.push(await once(args, env, cpuFile));
        const cpuMs = median(samples.map((s) => s.cpuMs));
        figures.push({ mode, command, runs, cpuMs, wallMs: median(samples.map((s) => s.wallMs)) });
      }
    }
    return figures;
  } finally {
    tmp.remove();
  }
}

export function report(figures: readonly StartupFigure[]): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `CLI start-up, median of ${figures[0]?.runs ?? 0} runs`,
    "",
    "| CLI | command | CPU (user + sys) | wall |",
    "| --- | --- | --- | --- |",
    ...figures.map((f) => `| ${f.mode} | agora ${f.command} | ${s(f.cpuMs)} | ${s(f.wallMs)} |`),
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const runs = Math.max(1, Math.round(numberOption(argv, "runs", "BENCH_CLI_RUNS", 5)));
  const figures = await measure(runs);
  const text = hasFlag(argv, "json") ? JSON.stringify(figures) : report(figures);
  process.stdout.write(`${text}\n`);
}
