/**
 * What a methods section needs about a batch, from batch.json and the runs' manifests: scenario,
 * config, software versions, minds (models and policies), seeds, conditions. Endpoints are shown
 * as host and path only: no scheme, credentials or query string ever reach the report.
 */
import type { Manifest } from "../../core/recorder.js";
import type { BatchFile } from "../batch/batch-file.js";
import { valueText } from "../batch/plan.js";
import { readRunManifest, runDirOf } from "../batch/rows.js";
import type { Row } from "./tables.js";

export interface MindInfo {
  kind: string;
  name: string;
  count: number;
  model: string | null;
  endpoint: string | null;
}

export interface Methods {
  batchId: string;
  configPath: string | null;
  scenario: string | null;
  generations: number | null;
  populationSize: number | null;
  agoraVersion: string | null;
  gitCommit: string | null;
  node: string | null;
  grid: Record<string, string[]>;
  seeds: number[];
  /** Per condition: its minds (from the first run's manifest that has them). */
  minds: Record<string, MindInfo[]>;
  /** The resolved config of the first run found (without its cache section). */
  config: unknown;
}

/** "https://user:pw@host:8000/v1?key=x" → "host:8000/v1". */
export function endpointLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(unparsable endpoint)";
  }
}

function sanitiseConfig(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => sanitiseConfig(v));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "cache")
        .map(([k, v]) => [k, sanitiseConfig(v, k)]),
    );
  }
  if (typeof value === "string" && /url$/i.test(key)) return endpointLabel(value);
  return value;
}

function minds(manifest: Manifest): MindInfo[] {
  return (manifest.minds ?? []).map((m) => ({
    kind: m.kind,
    name: m.name,
    count: m.count,
    model: m.model ?? null,
    endpoint: m.endpoint ? endpointLabel(m.endpoint) : null,
  }));
}

export function collectMethods(dir: string, batch: BatchFile, runs: Row[]): Methods {
  const manifests: { condition: string; manifest: Manifest }[] = [];
  for (const run of runs) {
    try {
      const manifest = readRunManifest(runDirOf(dir, String(run.run)));
      if (manifest) manifests.push({ condition: String(run.condition), manifest });
    } catch {
      // An unreadable manifest only costs the methods section a detail.
    }
  }
  const first = manifests[0]?.manifest;
  const config = first?.config as Record<string, unknown> | undefined;
  const population = config?.population as { size?: unknown } | undefined;
  const byCondition: Record<string, MindInfo[]> = {};
  for (const { condition, manifest } of manifests) byCondition[condition] ??= minds(manifest);
  return {
    batchId: batch.batchId,
    configPath: batch.config,
    scenario: first ? String(first.scenario) : null,
    generations: typeof config?.generations === "number" ? config.generations : null,
    populationSize: typeof population?.size === "number" ? population.size : null,
    agoraVersion: first?.agoraVersion ?? null,
    gitCommit: first?.gitCommit ?? null,
    node: first?.node ?? null,
    grid: Object.fromEntries(Object.entries(batch.grid).map(([k, vs]) => [k, vs.map(valueText)])),
    seeds: batch.seeds,
    minds: byCondition,
    config: config ? sanitiseConfig(config) : null,
  };
}
