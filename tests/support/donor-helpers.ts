import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { AgoraEvent, EventOf } from "../../sim/core/events.js";
import { startRun, type RunResult } from "../../sim/app/run.js";

/** A scratch directory for one test file; `cleanup` removes it. */
export function scratch(prefix = "agora-donor-"): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export type MindEntry = { count: number; policy: string } & Record<string, unknown>;

export interface DonorRunSpec {
  minds: MindEntry[];
  seed?: number;
  generations?: number;
  graph?: Record<string, unknown>;
  donorGame?: Record<string, unknown>;
}

export interface DonorRun {
  dir: string;
  result: RunResult;
  events: AgoraEvent[];
  metrics: Record<string, unknown>[];
  agents: AgentRow[];
}

export interface AgentRow {
  generation: number;
  agentId: string;
  slot: string;
  born: number;
  mindKind: "llm" | "policy";
  mind: string;
  params: Record<string, unknown> | null;
  parents: string[];
  strategy: string | null;
  /** Why strategy is null when the agent stated none that could be used. */
  strategyUnusable: string | null;
  game1: number;
  game2: number | null;
  score: number;
  rank: number;
  survived: boolean | null;
}

export const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);

let counter = 0;

/** The YAML config text for a spec (no policy mutation unless the spec asks for it). */
export function configYaml(spec: DonorRunSpec, cacheDir: string): string {
  const size = spec.minds.reduce((n, m) => n + m.count, 0);
  return stringify({
    scenario: "donor-game",
    seed: spec.seed ?? 1,
    generations: spec.generations ?? 1,
    population: { size, minds: spec.minds },
    ...(spec.graph ? { graph: spec.graph } : {}),
    cache: { dir: cacheDir },
    donorGame: { policyMutation: { rate: 0, sd: 0 }, ...spec.donorGame },
  });
}

/**
 * Runs a Donor Game config through the real engine (startRun) in a fresh directory under `root`
 * and reads back the run's files. `outName` fixes the run directory's basename (the run id).
 */
export async function runDonor(
  root: string,
  spec: DonorRunSpec,
  opts: { outName?: string; seedOverride?: number } = {},
): Promise<DonorRun> {
  const base = join(root, `r${++counter}`);
  mkdirSync(base, { recursive: true });
  const configPath = join(base, "config.yaml");
  writeFileSync(configPath, configYaml(spec, join(root, "cache")));
  const dir = join(base, opts.outName ?? "run");
  const result = await startRun(configPath, {
    out: dir,
    ...(opts.seedOverride !== undefined ? { overrides: { seed: opts.seedOverride } } : {}),
  });
  if (result.status !== "completed")
    throw new Error(`run ${dir} ended ${result.status}: ${result.error ?? ""}`);
  return {
    dir,
    result,
    events: readJsonl<AgoraEvent>(join(dir, "events.jsonl")),
    metrics: readJsonl<Record<string, unknown>>(join(dir, "metrics.jsonl")),
    agents: readJsonl<AgentRow>(join(dir, "agents.jsonl")),
  };
}

export const ofType = <K extends AgoraEvent["type"]>(
  events: readonly AgoraEvent[],
  type: K,
): EventOf<K>[] => events.filter((e): e is EventOf<K> => e.type === type);

export interface Interaction {
  kind: string;
  from: string;
  to: string;
  generation: number;
  game: number;
  round: number;
  data: {
    amount: number;
    fraction: number;
    received: number;
    donorBefore: number;
    recipientBefore: number;
    donorAfter: number;
    recipientAfter: number;
    fallback: boolean;
  };
}

/** Donation, punishment and refusal events, flattened. */
export function interactions(events: readonly AgoraEvent[]): Interaction[] {
  return ofType(events, "interaction")
    .filter((e) => e.t.round !== undefined)
    .map((e) => ({
      kind: e.kind,
      from: e.from,
      to: e.to!,
      generation: e.t.generation,
      game: e.t.game!,
      round: e.t.round!,
      data: e.data as Interaction["data"],
    }));
}

/** Relative closeness (absolute near zero). */
export function close(actual: number, expected: number, rel = 1e-6): boolean {
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

/** `n` constant givers with distinct shares (1/20, 2/20, ...): a copied policy names its parent. */
export const distinctGivers = (n: number): MindEntry[] =>
  Array.from({ length: n }, (_, i) => ({ count: 1, policy: "constant", fraction: (i + 1) / 20 }));

/** The number of a first-generation slot: g1-a7 -> 7. */
export const slotIndex = (slot: string): number => Number(/^g1-a(\d+)$/.exec(slot)![1]);

/** Whether two slots are joined on the undirected ring g1-a1 - g1-a2 - ... - g1-a<n> - g1-a1. */
export const ringAdjacent =
  (n: number) =>
  (a: string, b: string): boolean => {
    const d = Math.abs(slotIndex(a) - slotIndex(b));
    return d === 1 || d === n - 1;
  };

/** The directed ring g1-a1 -> g1-a2 -> ... -> g1-a<n> -> g1-a1 as an adjacency matrix. */
export const directedRing = (n: number): number[][] =>
  Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (j === (i + 1) % n ? 1 : 0)),
  );
