/**
 * A batch directory in the contracted layout (batch.json, runs.csv, metrics.csv,
 * runs/<id>/manifest.json
 * and metrics.jsonl)
 * with seeded synthetic metric values, for the report and batch-view tests that do not need real
 * runs. Two conditions of `donorGame.punishment`; the "costly" one scores higher; its last seed
 * failed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emptyTotals } from "../../sim/core/spend.js";
import { countRuns, type BatchFile } from "../../sim/app/batch/batch-file.js";
import type { BatchRunStatus } from "../../sim/app/batch/rows.js";
import { Rng } from "../../sim/core/rng.js";

export const FIXTURE_SECRET = "sk-fixture-SECRET-0123456789";
export const FIXTURE_CONDITIONS = [
  "donorGame.punishment=none",
  "donorGame.punishment=costly",
] as const;
export const FIXTURE_SEEDS = [0, 1, 2, 3, 4, 5] as const;
export const FIXTURE_GENERATIONS = 4;

export interface FixtureRun {
  run: string;
  condition: string;
  punishment: string;
  seed: number;
  status: string;
  generations: number;
  /** Per generation (index 0 = generation 1): [avgFinalResources, cooperation]. */
  values: [number, number][];
}

const csvField = (v: unknown) =>
  v === null || v === undefined
    ? ""
    : /[",\n]/.test(String(v))
      ? `"${String(v).replaceAll('"', '""')}"`
      : String(v);
const csv = (header: string[], rows: unknown[][]) =>
  [header, ...rows].map((r) => r.map(csvField).join(",")).join("\n") + "\n";

export function writeBatchFixture(dir: string): FixtureRun[] {
  mkdirSync(join(dir, "runs"), { recursive: true });
  const runs: FixtureRun[] = [];
  for (const condition of FIXTURE_CONDITIONS) {
    const punishment = condition.split("=")[1]!;
    for (const seed of FIXTURE_SEEDS) {
      const rng = new Rng(seed, ["fixture", punishment]);
      const failed = punishment === "costly" && seed === 5;
      const generations = failed ? 2 : FIXTURE_GENERATIONS;
      const shift = punishment === "costly" ? 40 : 0;
      const values: [number, number][] = [];
      for (let g = 1; g <= generations; g++)
        values.push([
          100 + shift + 10 * g + 8 * rng.normal(),
          Math.min(1, Math.max(0, 0.4 + 0.05 * g + 0.1 * rng.normal())),
        ]);
      runs.push({
        run: `${punishment}-s${seed}`,
        condition,
        punishment,
        seed,
        status: failed ? "failed" : "completed",
        generations,
        values,
      });
    }
  }
  const file: BatchFile = {
    version: 1,
    batchId: "fixture-batch",
    config: "scenarios/donor-game/fixture.yaml",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:02:00.000Z",
    status: "completed",
    grid: { "donorGame.punishment": ["none", "costly"] },
    seeds: [...FIXTURE_SEEDS],
    budget: { maxCost: null, maxCalls: null, exhausted: false },
    totals: emptyTotals(),
    counts: countRuns(runs.map((r) => ({ status: r.status as BatchRunStatus }))),
    runs: runs.map((r) => ({
      id: r.run,
      condition: { "donorGame.punishment": r.punishment },
      conditionLabel: r.condition,
      seed: r.seed,
      status: r.status as BatchRunStatus,
      error: r.status === "failed" ? "fake endpoint said no" : null,
      generations: FIXTURE_GENERATIONS,
      generationsCompleted: r.generations,
    })),
  };
  writeFileSync(join(dir, "batch.json"), JSON.stringify(file));
  writeFileSync(
    join(dir, "runs.csv"),
    csv(
      [
        "run",
        "batch",
        "condition",
        "seed",
        "status",
        "error",
        "generations",
        "donorGame.punishment",
        "final_avgFinalResources",
        "final_cooperation",
        "llm_calls",
        "tokens_in",
        "tokens_out",
        "cost",
        "wall_s",
      ],
      runs.map((r) => [
        r.run,
        "fixture-batch",
        r.condition,
        r.seed,
        r.status,
        r.status === "failed" ? "fake endpoint said no" : null,
        r.generations,
        r.punishment,
        r.values.at(-1)![0],
        r.values.at(-1)![1],
        0,
        0,
        0,
        0,
        1.5,
      ]),
    ),
  );
  writeFileSync(
    join(dir, "metrics.csv"),
    csv(
      [
        "run",
        "condition",
        "seed",
        "generation",
        "donorGame.punishment",
        "avgFinalResources",
        "cooperation",
      ],
      runs.flatMap((r) =>
        r.values.map(([a, c], i) => [r.run, r.condition, r.seed, i + 1, r.punishment, a, c]),
      ),
    ),
  );
  for (const r of runs) {
    const runDir = join(dir, "runs", r.run);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(
      join(runDir, "metrics.jsonl"),
      r.values
        .map(
          ([a, c], i) =>
            `${JSON.stringify({ generation: i + 1, avgFinalResources: a, cooperation: c })}\n`,
        )
        .join(""),
    );
    const endpoint = `https://user:${FIXTURE_SECRET}@llm.example.org/v1?key=${FIXTURE_SECRET}`;
    writeFileSync(
      join(runDir, "manifest.json"),
      JSON.stringify({
        runId: r.run,
        scenario: "donor-game",
        status: r.status,
        seed: r.seed,
        configHash: "0".repeat(64),
        config: {
          scenario: "donor-game",
          seed: r.seed,
          generations: FIXTURE_GENERATIONS,
          population: {
            size: 4,
            minds: [
              { count: 2, profile: "local" },
              { count: 2, policy: "tit-for-tat" },
            ],
          },
          profiles: {
            local: { model: "fixture-model", baseURL: endpoint, apiKeyEnv: "FIXTURE_KEY" },
          },
          donorGame: { punishment: r.punishment },
          cache: { dir: "/secret/cache/dir" },
        },
        agoraVersion: "0.1.0",
        gitCommit: "abcdef0123456789",
        node: "v20.0.0",
        minds: [
          { kind: "llm", name: "local", count: 2, model: "fixture-model", endpoint, note: "LLM" },
          {
            kind: "policy",
            name: "tit-for-tat",
            count: 2,
            note: "offline deterministic policy (not an LLM)",
          },
        ],
        graphStats: {},
        startedAt: "2026-01-01T00:00:00.000Z",
        endedAt: "2026-01-01T00:01:00.000Z",
        generationsCompleted: r.generations,
        totals: {},
        cache: { mode: "read-write", dir: "/secret/cache/dir", hits: 0, misses: 0 },
        resumes: [],
        ...(r.status === "failed" ? { error: "fake endpoint said no" } : {}),
      }),
    );
  }
  return runs;
}
