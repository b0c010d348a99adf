/**
 * `debate.compat`: the one table of what each value belongs to and forbids (each error naming the
 * field and the value), what `memory` means in each mode, and the released MAD final judge's
 * candidates reply counted when unusable.
 */
import { describe, expect, it } from "vitest";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { resolveConfig } from "../../../sim/core/config.js";
import type { Script } from "../../../tests/support/fake-openai.js";
import {
  debateWorkspace,
  interactionsOf,
  runDebate,
} from "../../../tests/support/debate-helpers.js";
import { ofType } from "../../../tests/support/llm-helpers.js";

const SCENARIOS = await builtinScenarios();

const TRAITS = [{ trait: "overconfident" }, { trait: "easy-going" }, { trait: "easy-going" }];

/** A policy-mind config of `size` debaters with the setup a compat value belongs to. */
const raw = (size: number, debate: Record<string, unknown>) => ({
  scenario: "debate",
  population: { size, minds: [{ count: size, policy: "solver" }] },
  debate: { questions: { generator: "arithmetic", count: 2 }, ...debate },
});
const MAD = { setup: "mad", judge: { policy: "judge" } };
const RELEASED = { ...MAD, compat: "mad-released" };
const DU = { setup: "n-agent", compat: "du" };
const SOM = { setup: "societies", compat: "machinesom", agents: TRAITS };

const resolved = (size: number, debate: Record<string, unknown>) =>
  resolveConfig(raw(size, debate), SCENARIOS).config.debate as Record<string, unknown>;
const errorOf = (size: number, debate: Record<string, unknown>): string => {
  try {
    resolved(size, debate);
  } catch (error) {
    return (error as Error).message;
  }
  return "no error";
};

describe("compat checks, one table", () => {
  it.each([
    // The setup each value belongs to.
    [
      2,
      { ...RELEASED, setup: "n-agent", judge: undefined },
      'debate.compat: got "mad-released", expected a compat value of setup n-agent (mad-released belongs to setup mad)',
    ],
    [
      3,
      { ...DU, setup: "societies" },
      'debate.compat: got "du", expected a compat value of setup societies (du belongs to setup n-agent)',
    ],
    [
      3,
      { ...SOM, setup: "n-agent" },
      'debate.compat: got "machinesom", expected a compat value of setup n-agent (machinesom belongs to setup societies)',
    ],
    // A peer's compat value on setup mad is refused for its setup, not for MAD's memory rule.
    [
      2,
      { ...MAD, compat: "du" },
      'debate.compat: got "du", expected a compat value of setup mad (du belongs to setup n-agent)',
    ],
    // What mad-released forbids.
    [
      3,
      RELEASED,
      "population.size: got 3, expected 2 debaters (its affirmative and negative sides) for compat mad-released",
    ],
    [
      2,
      { ...RELEASED, rounds: 11 },
      "debate.rounds: got 11, expected at most 10 rounds for compat mad-released",
    ],
    [
      2,
      { ...RELEASED, adaptiveBreak: false },
      "debate.adaptiveBreak: got false, expected true for compat mad-released",
    ],
    [
      2,
      { ...RELEASED, disagreement: "high" },
      'debate.disagreement: got "high", expected medium for compat mad-released',
    ],
    [
      2,
      { ...RELEASED, memory: "latest" },
      'debate.memory: got "latest", expected full or unset (each side and the moderator keep their whole conversation) for compat mad-released',
    ],
    [
      2,
      { ...RELEASED, agents: [{ persona: "a pirate" }] },
      'debate.agents: got [{"persona":"a pirate"}], expected no personas or traits for compat mad-released',
    ],
    [
      2,
      { ...RELEASED, evolution: { enabled: true } },
      "debate.evolution.enabled: got true, expected false (no advice) for compat mad-released",
    ],
    // What du and machinesom forbid.
    [
      3,
      { ...DU, turns: "sequential" },
      'debate.turns: got "sequential", expected simultaneous for compat du (every debater sees the previous round)',
    ],
    [
      3,
      { ...SOM, turns: "sequential" },
      'debate.turns: got "sequential", expected simultaneous for compat machinesom (every debater sees the previous round)',
    ],
    [
      3,
      { ...SOM, agents: TRAITS.slice(0, 2) },
      "debate.agents.2.trait: got nothing, expected a trait for every debater under compat machinesom (easy-going or overconfident)",
    ],
    // The expert role belongs to machinesom only.
    ...[{ setup: "n-agent" }, DU, RELEASED].map((debate) => [
      debate === RELEASED ? 2 : 3,
      { ...debate, expert: "an expert in chess" },
      'debate.expert: got "an expert in chess", expected no expert role without compat machinesom',
    ]),
    // Agora's MAD shows only the latest arguments.
    [
      2,
      { ...MAD, memory: "full" },
      'debate.memory: got "full", expected latest for setup mad (each side sees only the latest arguments; compat mad-released keeps whole conversations)',
    ],
  ] as [number, Record<string, unknown>, string][])("%i debaters, %j", (size, debate, message) => {
    expect(errorOf(size, debate)).toContain(message);
  });

  it("accepts each value on its own setup, and says what memory each mode keeps", () => {
    // mad-released keeps whole conversations: memory unset resolves to full, and full is accepted.
    expect(resolved(2, RELEASED)).toMatchObject({ compat: "mad-released", memory: "full" });
    expect(resolved(2, { ...RELEASED, memory: "full" })).toMatchObject({ memory: "full" });
    expect(resolved(2, MAD)).toMatchObject({ compat: "agora", memory: "latest" });
    expect(resolved(3, DU)).toMatchObject({ memory: "full", anonymous: true });
    expect(resolved(3, { ...SOM, expert: "an expert in chess" })).toMatchObject({
      memory: "full",
      anonymous: true,
      expert: "an expert in chess",
    });
  });
});

describe("compat mad-released: the final judge's candidates reply", () => {
  const workspace = debateWorkspace();
  const ITEMS = [{ id: "ten", question: "What is 5+5?", answers: ["10"] }];

  /**
   * Debaters answer; the moderator never gives an answer (the debate runs to its last round); the
   * final judge's candidates call gets `candidates`, its final call a ruling for 10.
   */
  const model =
    (candidates: string): Script =>
    (req) => {
      const user = req.messages.at(-1)!.content;
      if (user.includes("what answer candidates do we have?")) return candidates;
      if (user.includes("give the final answer that you think is correct. Now please output"))
        return JSON.stringify({ Reason: "scripted", debate_answer: "10" });
      if (req.messages[0]!.content.startsWith("You are a moderator"))
        return JSON.stringify({
          "Whether there is a preference": "No",
          "Supported Side": "",
          Reason: "scripted",
          debate_answer: "",
        });
      return "I think it is 10.";
    };

  it("counts an empty candidates reply in judgeUnusable, and a readable one nowhere", async () => {
    const { work, config } = await workspace(model("   "), ITEMS);
    const run = await runDebate(
      work,
      "empty",
      config(2, { ...RELEASED, rounds: 1, judge: { profile: "fake" } }),
      { inProcess: true },
    );
    const calls = ofType(run.events, "llm-call").filter((e) => e.agentId === "judge");
    expect(calls.map((e) => e.purpose)).toEqual(["judge", "candidates", "judge"]);
    // The final ruling itself is usable: only the candidates reply is counted.
    const finals = interactionsOf(run.events, "judge").filter((e) => e.data.final);
    expect(finals.map((e) => [e.data.usable, e.data.answer, e.data.candidates])).toEqual([
      [true, "10", "   "],
    ]);
    expect(run.metrics[0]).toMatchObject({ judgeUnusable: 1, judgeAccuracy: 1 });

    const { work: work2, config: config2 } = await workspace(model("10 or 11"), ITEMS);
    const readable = await runDebate(
      work2,
      "readable",
      config2(2, { ...RELEASED, rounds: 1, judge: { profile: "fake" } }),
      { inProcess: true },
    );
    expect(readable.metrics[0]).toMatchObject({ judgeUnusable: 0, judgeAccuracy: 1 });
  }, 60_000);
});
