import { expect } from "vitest";
import type { AgoraEvent } from "../../sim/core/events.js";
import { readEvents, runCli, writeConfig } from "./llm-helpers.js";

export const SPARSE_AGENTS = 16;

/**
 * The run both viewer tests of the Donor Game on a network read: 16 policy agents on a
 * Watts–Strogatz graph (k = 4, β = 0.1) under `schedule: graph`, 3 generations, recorded by the
 * CLI into `out` (its config written into `dir`). Returns its events.
 */
export async function recordSparseDonorRun(dir: string, out: string): Promise<AgoraEvent[]> {
  const config = writeConfig(dir, "network.yaml", {
    scenario: "donor-game",
    seed: 3,
    generations: 3,
    graph: { type: "watts-strogatz", k: 4, beta: 0.1 },
    population: {
      size: SPARSE_AGENTS,
      minds: [
        { count: 6, policy: "constant", fraction: 0.5 },
        { count: 5, policy: "tit-for-tat", initial: 1 },
        { count: 5, policy: "random", min: 0, max: 1 },
      ],
    },
    donorGame: { schedule: "graph" },
    cache: { mode: "off" },
  });
  const run = await runCli(["run", config, "--out", out, "--quiet"]);
  expect(run.code, run.stderr).toBe(0);
  return readEvents(out);
}
