/**
 * Debate config checking: bad sections fail `validate` and `run` with a ConfigError naming the
 * field and the value (exit 2, nothing run); every shipped example config resolves, and the
 * offline ones run to completion with no key.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { readConfigFile, resolveConfig } from "../../../sim/core/config.js";
import { startRun } from "../../../sim/app/run.js";
import { ROOT, runCli, tempDir, writeConfig } from "../../../tests/support/llm-helpers.js";

const SCENARIOS = await builtinScenarios();

const tmp = tempDir("debate-config");
afterAll(() => tmp.cleanup());

const DIR = join(ROOT, "scenarios", "debate");
const base = (
  size: number,
  debate: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  scenario: "debate",
  population: { size, minds: [{ count: size, policy: "solver" }] },
  debate: { questions: { generator: "arithmetic", count: 4 }, ...debate },
  ...extra,
});
const errorOf = (raw: unknown): string => {
  try {
    resolveConfig(raw, SCENARIOS);
  } catch (error) {
    return (error as Error).message;
  }
  return "no error";
};

describe("debate config errors", () => {
  it("validate and run reject MAD with 5 debaters, naming the field and the value", async () => {
    const path = writeConfig(
      tmp.path,
      "mad5.yaml",
      base(5, { setup: "mad", judge: { policy: "judge" } }),
    );
    for (const args of [
      ["validate", path],
      ["run", path, "--out", join(tmp.path, "never")],
    ]) {
      const out = await runCli(args);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(
        "population.size: got 5, expected 2 to 4 debaters for setup mad",
      );
    }
    expect(existsSync(join(tmp.path, "never"))).toBe(false);
  }, 30_000);

  it.each([
    [
      "an unknown pattern",
      base(3, { setup: "societies", rounds: 3, patterns: ["debate", "argue", "debate"] }),
      'debate.patterns.1: got "argue", expected one of "debate", "reflection"',
    ],
    [
      "MAD without a judge",
      base(2, { setup: "mad" }),
      "debate.judge: got nothing, expected a judge",
    ],
    [
      "MAD with simultaneous turns",
      base(2, { setup: "mad", judge: { policy: "judge" }, turns: "simultaneous" }),
      'debate.turns: got "simultaneous", expected sequential for setup mad',
    ],
    [
      "a judge on an unknown profile",
      base(2, { setup: "mad", judge: { profile: "gpt-9" } }),
      'debate.judge.profile: got "gpt-9", expected a profile defined under profiles',
    ],
    [
      "a judge policy with a bad parameter",
      base(2, { setup: "mad", judge: { policy: "judge", rule: "coin" } }),
      'debate.judge.rule: got "coin", expected one of "majority", "held"',
    ],
    [
      "an unknown role policy",
      base(2, { setup: "mad", judge: { policy: "oracle" } }),
      'debate.judge.policy: got "oracle", expected one of solver, partisan, judge, summariser',
    ],
    [
      "patterns that do not match the rounds",
      base(3, { rounds: 2, patterns: ["debate"] }),
      'debate.patterns: got ["debate"], expected one pattern per round (2 round(s))',
    ],
    [
      "rounds for the single-agent baseline",
      base(3, { setup: "single", rounds: 2 }),
      "debate.rounds: got 2, expected 0 for setup single",
    ],
    [
      "a summariser without debate rounds",
      base(3, { setup: "self-reflection", summariser: { policy: "summariser" } }),
      "debate.summariser: got",
    ],
    [
      "more persona entries than debaters",
      base(2, { agents: [{}, {}, {}] }),
      "debate.agents: got 3, expected at most population.size (2) entries",
    ],
    [
      "an unknown setup",
      base(3, { setup: "parliament" }),
      'debate.setup: got "parliament", expected one of "mad"',
    ],
    [
      "an unknown trait",
      base(3, { agents: [{ trait: "grumpy" }] }),
      'debate.agents.0.trait: got "grumpy"',
    ],
    ["an unknown key", base(3, { round: 2 }), "debate.round: got 2, expected no such key here"],
    [
      "a solver parameter out of range",
      {
        ...base(3, {}),
        population: { size: 3, minds: [{ count: 3, policy: "solver", accuracy: 1.5 }] },
      },
      "population.minds.0.accuracy: got 1.5, expected a number <= 1",
    ],
  ])("%s", (_name, raw, message) => {
    expect(errorOf(raw)).toContain(message);
  });
});

describe("MachineSoM's design space", () => {
  it("expresses all 8 three-round thinking patterns and all 4 trait mixes of 3 agents", () => {
    const choices = ["debate", "reflection"] as const;
    const patterns = choices.flatMap((a) => choices.flatMap((b) => choices.map((c) => [a, b, c])));
    const mixes = [0, 1, 2, 3].map((k) =>
      [0, 1, 2].map((i) => ({ trait: i < k ? "overconfident" : "easy-going" })),
    );
    const resolved = new Set<string>();
    for (const p of patterns) {
      for (const agents of mixes) {
        const section = resolveConfig(
          base(3, { setup: "societies", patterns: p, agents }),
          SCENARIOS,
        ).config.debate as { rounds: number; patterns: string[]; agents: { trait: string }[] };
        expect(section.rounds).toBe(3);
        resolved.add(JSON.stringify([section.patterns, section.agents.map((a) => a.trait)]));
      }
    }
    expect(resolved.size).toBe(32);
  });
});

describe("shipped debate configs", () => {
  const configs = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));

  it("all resolve, with the setups' defaults filled in", () => {
    expect(configs.length).toBeGreaterThanOrEqual(13);
    for (const file of configs) {
      const loaded = resolveConfig(readConfigFile(join(DIR, file)), SCENARIOS, {}, DIR);
      expect(loaded.scenario.id, file).toBe("debate");
    }
    const mad = resolveConfig(readConfigFile(join(DIR, "offline-mad.yaml")), SCENARIOS, {}, DIR)
      .config.debate;
    expect(mad).toMatchObject({
      setup: "mad",
      rounds: 3,
      turns: "sequential",
      adaptiveBreak: true,
      judge: { policy: "judge", params: { rule: "majority" } },
    });
  });

  it("the offline ones run to completion with no key", async () => {
    for (const file of configs.filter((f) => f.startsWith("offline-"))) {
      const result = await startRun(join(DIR, file), { out: join(tmp.path, file), env: {} });
      expect(result.status, `${file}: ${result.error ?? ""}`).toBe("completed");
    }
  }, 60_000);
});
