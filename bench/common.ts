/** Small helpers shared by the benchmarks: argv/env options, temp config files, formatting. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

/** `--name value` or `--name=value` from argv, else the environment variable, else the default. */
export function numberOption(
  argv: readonly string[],
  name: string,
  envName: string,
  fallback: number,
): number {
  const raw = stringOption(argv, name) ?? process.env[envName];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} / ${envName}: expected a non-negative number, got "${raw}"`);
  return value;
}

export function stringOption(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}`) return argv[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

export const hasFlag = (argv: readonly string[], name: string): boolean =>
  argv.includes(`--${name}`);

/**
 * A fresh temp directory removed by the returned function (also on failure, by the caller's
 * finally), under `parent` (default: the system's temp directory).
 */
export function tempDir(prefix: string, parent = tmpdir()): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(parent, prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a config object as a file startRun can read (JSON is YAML). */
export function writeConfig(dir: string, name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/** True when `importMetaUrl` is the script node was started with (not imported by run-all). */
export function isMain(importMetaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === importMetaUrl;
}

export const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
export const seconds = (ms: number): string => (ms / 1000).toFixed(2);

/** Peak resident set size of this process so far, in bytes (Linux reports maxRSS in KiB). */
export const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

/** A sample's size, median, 95th percentile and maximum (non-finite values left out). */
export interface Distribution {
  n: number;
  median: number;
  p95: number;
  max: number;
}

export function distribution(values: number[]): Distribution {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, median: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? NaN };
}

/** The benchmarks' policy population: equal fifths of the five Donor Game policies. */
export function policyMix(agents: number) {
  const fifth = Math.floor(agents / 5);
  const counts = [fifth, fifth, fifth, fifth, agents - 4 * fifth];
  return [
    { count: counts[0]!, policy: "constant", fraction: 0.5 },
    { count: counts[1]!, policy: "tit-for-tat", initial: 1 },
    { count: counts[2]!, policy: "image-scoring", threshold: 0.3, fraction: 0.6 },
    { count: counts[3]!, policy: "defect" },
    { count: counts[4]!, policy: "random", min: 0, max: 1 },
  ].filter((entry) => entry.count > 0);
}

/**
 * A benchmark's own file run again as a child process (so what it measures has a process to
 * itself), speaking JSON lines of `{ kind, ... }` on stdout; lines on stdin go to it.
 */
export class BenchChild<M extends { kind: string }> {
  readonly proc: ChildProcess;
  private readonly messages: M[] = [];
  private waiters: (() => void)[] = [];
  private exited: number | null = null;
  readonly closed: Promise<number>;

  /** `nodeArgs` (e.g. CPU profiling flags) go before the file; `label` names it in messages. */
  constructor(
    file: string,
    args: readonly string[],
    private readonly label: string,
    nodeArgs: readonly string[] = [],
  ) {
    // The parent's own profiling flags would make the child write profiles too.
    const execArgv = process.execArgv.filter(
      (a) => !a.startsWith("--cpu-prof") && !a.startsWith("--heap-prof"),
    );
    this.proc = spawn(process.execPath, [...execArgv, ...nodeArgs, file, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      try {
        this.messages.push(JSON.parse(line) as M);
      } catch {
        process.stderr.write(`${label}: ${line}\n`);
      }
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      this.proc.on("close", (code) => {
        this.exited = code ?? 1;
        this.wake();
        resolve(this.exited);
      }),
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  /** The next message of this kind (others stay queued). */
  async next<K extends M["kind"]>(kind: K, timeoutMs = 600_000): Promise<Extract<M, { kind: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.kind === kind);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Extract<M, { kind: K }>;
      if (this.exited !== null)
        throw new Error(`${this.label} exited (code ${this.exited}) before "${kind}"`);
      if (Date.now() > deadline)
        throw new Error(`no "${kind}" from ${this.label} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  /** Sends `line` if given, closes stdin and waits for a clean exit. */
  async finish(line?: string): Promise<void> {
    if (line) this.send(line);
    this.proc.stdin!.end();
    const code = await this.closed;
    if (code !== 0) throw new Error(`${this.label} exited with code ${code}`);
  }

  /** After a failure in this process: stop the child and wait for it. */
  async kill(): Promise<void> {
    if (this.exited === null) this.proc.kill();
    await this.closed;
  }
}
