/**
 * The offline example configs from the CLI, on policy minds (text operators, no model): texts grow
 * alike faster on the complete graph than on the cycle, and a seed fixes the whole event log.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  ofType,
  readEvents,
  readJsonlStrict,
  ROOT,
  runCli,
  stableEvents,
  tempDir,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

const tmp = tempDir("transmission-offline");
afterAll(() => tmp.cleanup());

const example = (name: string): Record<string, unknown> =>
  parseYaml(readFileSync(join(ROOT, "scenarios/transmission", name), "utf8")) as Record<
    string,
    unknown
  >;

/** Runs a config (with overrides) from the CLI and returns its run directory. */
async function run(name: string, config: Record<string, unknown>, seed: number): Promise<string> {
  const path = writeConfig(tmp.path, `${name}.yaml`, config);
  const out = join(tmp.path, `${name}-s${seed}`);
  const result = await runCli(["run", path, "--seed", String(seed), "--out", out, "--quiet"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return out;
}

const similarity = (dir: string): number[] =>
  readJsonlStrict<{ similarityWithin: number }>(join(dir, "metrics.jsonl")).map(
    (r) => r.similarityWithin,
  );
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("offline configs on policy minds", () => {
  it("within-generation similarity rises faster on a complete graph than on a cycle, averaged over seeds", async () => {
    const seeds = [1, 2, 3];
    const generations = 7;
    const rise = async (file: string) => {
      const dirs = await Promise.all(
        seeds.map((seed) =>
          run(file.replace(".yaml", ""), { ...example(file), generations }, seed),
        ),
      );
      // The rise from generation 1 to the mean of the last three generations, per seed.
      return dirs.map((dir) => {
        const s = similarity(dir);
        expect(s).toHaveLength(generations);
        return mean(s.slice(-3)) - s[0]!;
      });
    };
    const complete = await rise("offline-network.yaml");
    const cycle = await rise("offline-cycle.yaml");
    expect(mean(complete)).toBeGreaterThan(0.1);
    expect(mean(complete)).toBeGreaterThan(mean(cycle) + 0.05);
  });

  it("the same seed gives the same stable event log; another seed does not", async () => {
    const config = { ...example("offline-chains.yaml"), generations: 3 };
    const [a, b, c] = await Promise.all([
      run("chains-a", config, 9),
      run("chains-b", config, 9),
      run("chains-c", config, 10),
    ]);
    const stable = (dir: string) =>
      stableEvents(readEvents(dir)).map((e) => ({ ...e, runId: undefined }));
    expect(stable(a)).toEqual(stable(b));
    expect(readFileSync(join(a, "metrics.jsonl"), "utf8")).toBe(
      readFileSync(join(b, "metrics.jsonl"), "utf8"),
    );
    const texts = (dir: string) =>
      ofType(readEvents(dir), "interaction")
        .filter((e) => e.kind === "text")
        .map((e) => e.data.text);
    expect(texts(a)).not.toEqual(texts(c));
    // Policy minds are labelled as such on every text they write.
    for (const e of ofType(readEvents(a), "interaction")) expect(e.mind.kind).toBe("policy");
  });
});
