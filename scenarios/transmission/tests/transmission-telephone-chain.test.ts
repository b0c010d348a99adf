/**
 * `transmission.chainPrompt: telephone` side by side with TelephoneGameLLM's chain: the fixture
 * (tests/fixtures/telephone/telephone-chain.json, with its generator script, commit and patch)
 * is what the peer's run_simul asked a scripted server, in order, and the stories it kept; our run
 * gets the same scripted answers through the fake OpenAI server and must ask the same messages in
 * the same order and keep the same texts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { resolveConfig } from "../../../sim/core/config.js";
import { readEvents, ROOT, runCli, writeConfig } from "../../../tests/support/llm-helpers.js";
import {
  storyWorkspace,
  textsWritten,
  transmissionLlmConfig,
} from "../../../tests/support/transmission-helpers.js";

interface ChainCase {
  label: string;
  agents: number;
  prompt_init: string;
  prompt_update: string;
  initial_story: string;
  personality: string;
  answers: string[];
  requests: { role: string; content: string }[][];
  stories: string[][];
}
const FIXTURE = JSON.parse(
  readFileSync(join(ROOT, "tests/fixtures/telephone/telephone-chain.json"), "utf8"),
) as { cases: ChainCase[] };

const workspace = storyWorkspace();

describe("chainPrompt: telephone against TelephoneGameLLM's chain", () => {
  it.each(FIXTURE.cases.map((c) => [c.label, c] as const))("%s", async (_, c) => {
    const { dir, fake } = await workspace.start();
    fake.setScript((_req, i) => c.answers[i]!);
    const config = writeConfig(
      dir,
      "run.yaml",
      transmissionLlmConfig({
        baseURL: fake.baseURL,
        cacheDir: join(dir, "cache"),
        size: c.agents,
        generations: c.agents,
        graph: { type: "chain" },
        transmission: {
          mode: "chain",
          chainPrompt: "telephone",
          seeds: [c.initial_story],
          // Texts of several words are taken literally: the peer's prompt_init and prompt_update.
          initial: c.prompt_init,
          transformation: c.prompt_update,
          persona: c.personality === "" ? "neutral" : c.personality,
        },
      }),
    );
    const out = join(dir, "run");
    const result = await runCli(["run", config, "--out", out]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(fake.requests.map((r) => r.messages)).toEqual(c.requests);
    const written = [...textsWritten(readEvents(out)).values()]
      .sort((a, b) => a.generation - b.generation)
      .map((t) => [t.text]);
    expect(written).toEqual(c.stories);
  });
});

const SCENARIOS = await builtinScenarios();

describe("transmission.chainPrompt config", () => {
  const resolve = (transmission: Record<string, unknown>) =>
    resolveConfig(
      {
        scenario: "transmission",
        generations: 2,
        population: { size: 2, minds: [{ count: 2, policy: "text-operators" }] },
        graph: { type: "chain" },
        transmission,
      },
      SCENARIOS,
    );

  it("is absent by default, so that resolved configs stay as they were", () => {
    expect(resolve({ mode: "chain" }).config.transmission).not.toHaveProperty("chainPrompt");
  });

  it("rejects an unknown value and network mode, naming the field", () => {
    expect(() => resolve({ mode: "chain", chainPrompt: "perez" })).toThrow(
      /transmission\.chainPrompt: got "perez", expected .*"telephone"/,
    );
    expect(() =>
      resolveConfig(
        {
          scenario: "transmission",
          generations: 2,
          population: { size: 2, minds: [{ count: 2, policy: "text-operators" }] },
          transmission: { chainPrompt: "telephone" },
        },
        SCENARIOS,
      ),
    ).toThrow(/transmission\.chainPrompt: got "telephone", expected nothing in network mode/);
  });
});
