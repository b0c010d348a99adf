import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun } from "../../../sim/app/run.js";
import { exportLlmCulture, importLlmCulture, writeLlmCultureFile } from "../interop/llm-culture.js";
import { readJsonlStrict, ROOT, tempDir } from "../../../tests/support/llm-helpers.js";

const NETWORK = join(ROOT, "tests", "fixtures", "llm-culture", "network-cycle4.json");
const spreadKeys = (row: Record<string, unknown>) =>
  Object.keys(row)
    .filter((k) => k.startsWith("originSimilarityAtDistance"))
    .sort();

let scratch: ReturnType<typeof tempDir>;
beforeAll(() => {
  scratch = tempDir("import-spread");
});
afterAll(() => scratch.cleanup());

describe("import llm-culture: spread metrics on an imported network", () => {
  it("records the originSimilarityAtDistance keys for a network file", async () => {
    const { metrics } = await importLlmCulture(NETWORK, join(scratch.path, "cycle4"));
    // Generation 1 is the origins themselves: the keys are there, with no spread yet.
    expect(spreadKeys(metrics[0]!).length).toBeGreaterThan(0);
    expect(spreadKeys(metrics[0]!).every((k) => metrics[0]![k] === null)).toBe(true);
    // nx.cycle_graph(4): every origin has neighbours at distance 1 in later generations.
    expect(typeof metrics[1]!.originSimilarityAtDistance1).toBe("number");
  });

  it("equals the run's own spread metrics after an export and re-import", async () => {
    const config = join(scratch.path, "cycle.yaml");
    writeFileSync(
      config,
      [
        "scenario: transmission",
        // Seed 0: an import draws its spread origins as a seed-0 run does.
        "seed: 0",
        "generations: 3",
        "population: { size: 6, minds: [{ count: 6, policy: text-operators }] }",
        "graph: { type: cycle }",
        "transmission: { transformation: combine }",
        "",
      ].join("\n"),
    );
    const run = await startRun(config, { out: join(scratch.path, "own-cycle") });
    expect(run.status).toBe("completed");
    const file = join(scratch.path, "own-cycle.json");
    writeLlmCultureFile(file, exportLlmCulture(run.dir));
    const back = await importLlmCulture(file, join(scratch.path, "own-cycle-back"));
    const original = readJsonlStrict<Record<string, unknown>>(join(run.dir, "metrics.jsonl"));
    expect(back.metrics).toHaveLength(original.length);
    for (const [i, row] of back.metrics.entries()) {
      const keys = spreadKeys(original[i]!);
      expect(keys.length, `generation ${i + 1}`).toBeGreaterThan(0);
      expect(spreadKeys(row), `generation ${i + 1}`).toEqual(keys);
      for (const key of keys)
        expect(row[key], `${key} in generation ${i + 1}`).toEqual(original[i]![key]);
    }
    expect(typeof back.metrics[2]!.originSimilarityAtDistance1).toBe("number");
  });
});
