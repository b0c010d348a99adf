/**
 * `transmission.formatPrompt` (chainPrompt: telephone) side by side with TelephoneGameLLM's
 * format_prompt and its re-ask loop: tests/fixtures/telephone/telephone-chain-format.json
 * (generator script, commit and patch in it) is what the peer's run_simul asked a scripted server,
 * in order, when answers miss its flags before matching them, and the stripped texts it passed on.
 * Also the telephone prompt names as `initial`, checked against the published setup's fixture.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { resolveConfig } from "../../../sim/core/config.js";
import {
  ofType,
  readEvents,
  readJsonlStrict,
  ROOT,
  runCli,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";
import {
  storyWorkspace,
  textsWritten,
  transmissionLlmConfig,
} from "../../../tests/support/transmission-helpers.js";

interface ChainCase {
  agents: number;
  prompt_init: string;
  prompt_update: string;
  initial_story: string;
  personality: string;
  answers: string[];
  requests: { role: string; content: string }[][];
  format_prompt: string;
  start_flag?: string;
  end_flag?: string;
  format_not_ok?: number;
  passed_on?: string[][];
}
const fixture = (file: string) =>
  JSON.parse(readFileSync(join(ROOT, "tests/fixtures/telephone", file), "utf8")) as {
    cases: ChainCase[];
  };
const [FORMAT] = fixture("telephone-chain-format.json").cases;
const [PUBLISHED] = fixture("telephone-chain.json").cases;

const workspace = storyWorkspace();

/** Runs a telephone chain of `agents` on the fake server answering `answers` in request order. */
async function runChain(o: {
  agents: number;
  answers: readonly string[];
  transmission: Record<string, unknown>;
}) {
  const { dir, fake } = await workspace.start();
  fake.setScript((_req, i) => o.answers[i] ?? "no more scripted answers");
  const config = writeConfig(
    dir,
    "run.yaml",
    transmissionLlmConfig({
      baseURL: fake.baseURL,
      cacheDir: join(dir, "cache"),
      size: o.agents,
      generations: o.agents,
      graph: { type: "chain" },
      transmission: { mode: "chain", chainPrompt: "telephone", ...o.transmission },
    }),
  );
  const out = join(dir, "run");
  const result = await runCli(["run", config, "--out", out]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  const events = readEvents(out);
  const written = [...textsWritten(events).values()].sort((a, b) => a.generation - b.generation);
  return { requests: fake.requests.map((r) => r.messages), events, written, out };
}

describe("formatPrompt against TelephoneGameLLM's format_prompt", () => {
  it("appends the format prompt, re-asks each miss and passes on the stripped text", async () => {
    const c = FORMAT!;
    const { requests, events, written } = await runChain({
      agents: c.agents,
      answers: c.answers,
      transmission: {
        seeds: [c.initial_story],
        initial: c.prompt_init,
        transformation: c.prompt_update,
        persona: "neutral",
        formatPrompt: { text: c.format_prompt, start: c.start_flag, end: c.end_flag },
      },
    });
    // Six calls for three texts: the peer's three "Format not ok" re-asks are ours too.
    expect(requests).toEqual(c.requests);
    expect(written.map((t) => [t.text])).toEqual(c.passed_on);
    const misses = ofType(events, "parse-failure");
    expect(misses).toHaveLength(c.format_not_ok!);
    expect(misses.map((m) => [m.t.generation, m.attempt, m.answer])).toEqual([
      [1, 1, c.answers[0]],
      [1, 2, c.answers[1]],
      [3, 1, c.answers[4]],
    ]);
  });

  it("stops after `retries` re-asks: the text is unusable, counted, and not passed on", async () => {
    const c = FORMAT!;
    const { requests, events, written, out } = await runChain({
      agents: 2,
      answers: ["no flags", "##TEXT## cut", "##TEXT## The fox. ##TEXTEND##"],
      transmission: {
        seeds: [c.initial_story],
        initial: c.prompt_init,
        transformation: c.prompt_update,
        persona: "neutral",
        formatPrompt: { text: c.format_prompt, start: "##TEXT##", end: "##TEXTEND##", retries: 1 },
      },
    });
    expect(requests).toHaveLength(3);
    // The unusable text passes nothing on: agent 2 is given the seed, as agent 1 was.
    expect(requests[2]).toEqual(requests[0]);
    expect(written.map((t) => [t.text, t.unusable ?? null])).toEqual([
      [null, "unformatted"],
      ["The fox.", null],
    ]);
    expect(ofType(events, "parse-failure")).toHaveLength(2);
    const metrics = readJsonlStrict<Record<string, unknown>>(join(out, "metrics.jsonl"));
    expect(metrics.map((m) => m.textsUnusable)).toEqual([1, 0]);
  });
});

describe("telephone prompt names as the initial prompt", () => {
  it("reproduces the published setup with initial and transformation named telephone-rephrase", async () => {
    const c = PUBLISHED!;
    const { requests, written } = await runChain({
      agents: c.agents,
      answers: c.answers,
      transmission: {
        seeds: [c.initial_story],
        initial: "telephone-rephrase",
        transformation: "telephone-rephrase",
        persona: "neutral",
      },
    });
    expect(requests).toEqual(c.requests);
    expect(written.map((t) => t.text)).toEqual(c.answers);
  });
});

const SCENARIOS = await builtinScenarios();

describe("formatPrompt and telephone initials: config", () => {
  const resolve = (transmission: Record<string, unknown>) =>
    resolveConfig(
      {
        scenario: "transmission",
        generations: 2,
        population: { size: 2, minds: [{ count: 2, policy: "text-operators" }] },
        graph: { type: "chain" },
        transmission: { mode: "chain", seeds: ["A seed text."], ...transmission },
      },
      SCENARIOS,
    );
  const format = { text: "Use ##T## text ##E##", start: "##T##", end: "##E##" };

  it("accepts formatPrompt only with chainPrompt: telephone", () => {
    expect(
      resolve({ chainPrompt: "telephone", formatPrompt: format }).config.transmission,
    ).toMatchObject({ formatPrompt: { ...format, retries: 3 } });
    expect(() => resolve({ formatPrompt: format })).toThrow(
      /transmission\.formatPrompt: got "Use ##T## text ##E##", expected nothing without mode: "chain" and chainPrompt: telephone/,
    );
    expect(() =>
      resolve({ chainPrompt: "telephone", formatPrompt: { ...format, end: "" } }),
    ).toThrow(/transmission\.formatPrompt\.end/);
  });

  it("names the telephone prompts as initial only under chainPrompt: telephone", () => {
    expect(() =>
      resolve({ chainPrompt: "telephone", initial: "telephone-continue" }),
    ).not.toThrow();
    expect(() => resolve({ initial: "telephone-continue" })).toThrow(
      /transmission\.initial: got "telephone-continue", expected a name \(story, /,
    );
  });
});
