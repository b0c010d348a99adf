/**
 * A run on policy minds never loads the HTTP client stack (LangChain, the OpenAI SDK): about 12 MB
 * of heap and 40 MB of RSS that a 10,000-agent run would otherwise carry (docs/benchmarks.md).
 * The CLI runs from the sources with a preload that lists every package the process resolves.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir, writeConfig } from "./support/llm-helpers.js";

const LLM_STACK = ["@langchain/core", "@langchain/openai", "openai"];

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.cleanup();
});

/** The packages `agora run` loads for this config (a path, or a Donor Game config's keys). */
async function packagesLoadedBy(config: string | Record<string, unknown>): Promise<string[]> {
  const tmp = tempDir("lazy-llm");
  dirs.push(tmp);
  const configPath =
    typeof config === "string"
      ? join(ROOT, config)
      : writeConfig(tmp.path, "run.yaml", {
          scenario: "donor-game",
          seed: 3,
          generations: 1,
          population: { size: 8, minds: [{ policy: "tit-for-tat", count: 8 }] },
          ...config,
        });
  const log = join(tmp.path, "packages.txt");
  const preload = pathToFileURL(join(ROOT, "tests", "support", "loaded-packages.mjs")).href;
  const result = await runCli(["run", configPath, "--out", join(tmp.path, "run")], {
    AGORA_FROM_SOURCE: "1",
    AGORA_LOADED_PACKAGES: log,
    NODE_OPTIONS: `--import ${preload}`,
  });
  expect(result.code, result.stderr).toBe(0);
  return readFileSync(log, "utf8").trim().split("\n");
}

describe("the LLM client stack", () => {
  // One shipped offline config per scenario family (transmission's metrics module holds the
  // embeddings client).
  it.each([
    "scenarios/donor-game/offline-demo.yaml",
    "scenarios/debate/offline-n-agent.yaml",
    "scenarios/transmission/offline-chains.yaml",
  ])("is not loaded by a run on policy minds: %s", async (config) => {
    const loaded = await packagesLoadedBy(config);
    // The preload saw the run's own packages, so an empty intersection means something.
    expect(loaded).toContain("graphology");
    expect(loaded.filter((name) => LLM_STACK.includes(name))).toEqual([]);
  });

  it("is loaded when policies answer through the text path an LLM takes", async () => {
    const loaded = await packagesLoadedBy({ policyPath: "text" });
    expect(loaded).toEqual(expect.arrayContaining(["@langchain/core", "@langchain/openai"]));
  });
});
