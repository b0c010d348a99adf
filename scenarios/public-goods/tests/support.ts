/**
 * Helpers for the scenario's tests (not part of the scenario): temp dirs, configs, run directories.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import {
  Rng,
  startRunFrom,
  type AgoraEvent,
  type EventOf,
  type MindSpec,
  type RunResult,
} from "../../../sim/index.js";
import type { PublicGoodsAgent, reproduce } from "../evolution.js";
import { PUBLIC_GOODS_POLICIES } from "../policies.js";

/**
 * The scenario folder: configs name the scenario by module path from here (`scenario: ./index.ts`).
 */
export const HERE = dirname(dirname(fileURLToPath(import.meta.url)));

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `agora-pg-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Scratch run directories for a test file: `out(prefix)` makes one, `whenDone` adds any other
 * clean-up; all of them run after each test.
 */
export function scratchDirs(): {
  out: (prefix: string) => string;
  whenDone: (f: () => void) => void;
} {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  return {
    out(prefix) {
      const tmp = tempDir(prefix);
      cleanups.push(tmp.cleanup);
      return tmp.path;
    },
    whenDone: (f) => void cleanups.push(f),
  };
}

/** A config for this scenario with policy minds (override any key); the cache is off. */
export function offlineConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scenario: "public-goods",
    seed: 1,
    generations: 1,
    graph: { type: "cycle" },
    population: { size: 4, minds: [{ count: 4, policy: "always", fraction: 0.5 }] },
    cache: { mode: "off" },
    publicGoods: { rounds: 2 },
    ...overrides,
  };
}

export async function run(
  config: Record<string, unknown>,
  out: string,
): Promise<RunResult & { events: AgoraEvent[] }> {
  const result = await startRunFrom(config, HERE, { out });
  return { ...result, events: readJsonl<AgoraEvent>(join(out, "events.jsonl")) };
}

export function readJsonl<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

export const ofType = <K extends AgoraEvent["type"]>(
  events: readonly AgoraEvent[],
  type: K,
): EventOf<K>[] => events.filter((e): e is EventOf<K> => e.type === type);

/** Generation metrics of a run, in order. */
export const generationMetrics = (events: readonly AgoraEvent[]) =>
  ofType(events, "metric")
    .filter((e) => e.scope === "generation")
    .map((e) => e.values);

export const LLM_MIND: MindSpec = { kind: "llm", profile: "m" };
export const alwaysMind = (fraction: number): MindSpec => ({
  kind: "policy",
  policy: "always",
  params: { fraction },
});

type Four = "a" | "b" | "c" | "d";

/**
 * `reproduce`'s input on the path a - b - c - d (scores 30, 20, 10, 5; no mutation) with each
 * agent's mind and last fraction; the test adds survivors, removed and parents.
 */
export function pathOfFour(
  minds: Record<Four, MindSpec>,
  fractions: Record<Four, number | null>,
): Omit<Parameters<typeof reproduce>[0], "survivors" | "removed"> {
  const agent = (id: Four): PublicGoodsAgent => ({
    id,
    generation: 1,
    slot: id,
    parents: [],
    mind: minds[id],
    advice: null,
  });
  const ids: Four[] = ["a", "b", "c", "d"];
  return {
    agents: new Map(ids.map((id) => [id, agent(id)])),
    scores: new Map([
      ["a", 30],
      ["b", 20],
      ["c", 10],
      ["d", 5],
    ]),
    fractions: new Map(Object.entries(fractions)),
    neighbours: new Map([
      ["a", ["b"]],
      ["b", ["a", "c"]],
      ["c", ["b", "d"]],
      ["d", ["c"]],
    ]),
    generation: 1,
    policies: PUBLIC_GOODS_POLICIES,
    mutation: { rate: 0, sd: 0.1 },
    rng: new Rng(1),
  };
}
