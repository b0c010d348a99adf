/** Small helpers shared by the benchmarks: argv/env options, temp config files, formatting. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
 * finally).
 */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
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
