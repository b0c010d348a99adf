/**
 * `debate.compat: mad-released` side by side with Skytliang/Multi-Agents-Debate's released code:
 * tests/fixtures/mad/released-two-questions.json holds every request the released code made (in
 * order, with the role that asked) and its results, on two topics with scripted answers. Our run
 * gets the same answers from the fake OpenAI server, which answers a request only when its messages
 * are exactly those of one of the released code's requests; then we compare who was asked what, in
 * which order, and the final answers. Also policy judges on the same rules, and the config checks.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startRun } from "../../../sim/app/run.js";
import { builtinScenarios } from "../../../sim/app/scenarios.js";
import { resolveConfig } from "../../../sim/core/config.js";
import type { Question } from "../questions.js";
import { parseJudge } from "../replies.js";
import type { AgoraEvent } from "../../../sim/core/events.js";
import {
  debateWorkspace,
  interactionsOf,
  roundMetrics,
  runDebate,
} from "../../../tests/support/debate-helpers.js";
import { ofType, ROOT, tempDir, writeConfig } from "../../../tests/support/llm-helpers.js";

interface Message {
  role: string;
  content: string;
}
interface Fixture {
  peer: { repository: string; commit: string };
  topics: { topic: string; accepted: string[] }[];
  exchanges: { topic: string; role: string; messages: Message[]; answer: string }[];
  outputs: {
    topic: string;
    debate_answer: string;
    base_answer: string;
    success: boolean;
    moderatorCalls: number;
    judgeCalls: number;
  }[];
}

const FIXTURE: Fixture = JSON.parse(
  readFileSync(join(ROOT, "tests", "fixtures", "mad", "released-two-questions.json"), "utf8"),
);
const ITEMS = FIXTURE.topics.map((t, i) => ({
  id: `q${i + 1}`,
  question: t.topic,
  answers: t.accepted,
}));
const UNSCRIPTED = "(a request the released code never made)";
const key = (messages: readonly Message[]) =>
  JSON.stringify(messages.map((m) => [m.role, m.content]));
const SCRIPT = new Map(FIXTURE.exchanges.map((e) => [key(e.messages), e.answer]));

/** A request's topic, read from its system prompt (debater or moderator). */
const topicOf = (messages: readonly Message[]): string =>
  FIXTURE.topics.find(
    (t) =>
      messages[0]!.content.endsWith(`stated as follows:\n${t.topic}`) ||
      messages[0]!.content.includes(`topic: "${t.topic}"`),
  )!.topic;

/**
 * Who asked, in the released code's names, from our llm-call events of one question in order: the
 * debaters by side, the judge's round rulings as the moderator, and its two final calls (the first
 * one's purpose is "candidates") as the final judge.
 */
function rolesOf(events: readonly AgoraEvent[], question: number): string[] {
  const calls = ofType(events, "llm-call").filter((e) => e.t.question === question);
  return calls.map((e, i) =>
    e.agentId === "g1-a1"
      ? "Affirmative side"
      : e.agentId === "g1-a2"
        ? "Negative side"
        : e.purpose === "candidates" || calls[i - 1]?.purpose === "candidates"
          ? "Judge"
          : "Moderator",
  );
}

const workspace = debateWorkspace();

describe("MAD, compat mad-released, side by side with the released code", () => {
  it("asks who the released code asks, with the same messages in the same order, and ends with its answers", async () => {
    expect(FIXTURE.peer).toMatchObject({
      repository: "Skytliang/Multi-Agents-Debate",
      commit: "022a7a8eecda85844d336e9064cc556edb0445b3",
    });
    const { work, config, requests } = await workspace(
      (req) => SCRIPT.get(key(req.messages)) ?? UNSCRIPTED,
      ITEMS,
    );
    const run = await runDebate(
      work,
      "released",
      config(2, { setup: "mad", compat: "mad-released", judge: { profile: "fake" } }),
    );

    for (const [index, { topic }] of FIXTURE.topics.entries()) {
      const released = FIXTURE.exchanges.filter((e) => e.topic === topic);
      const ours = requests().filter((r) => topicOf(r.messages) === topic);
      // Every message of every request, in order (the two topics' debates run side by side here).
      expect(
        ours.map((r) => r.messages.map((m) => ({ role: m.role, content: m.content }))),
        topic,
      ).toEqual(released.map((e) => e.messages));
      expect(rolesOf(run.events, index), topic).toEqual(released.map((e) => e.role));
    }

    // The released results: its final answers, in the round the released code ended each debate.
    const finals = interactionsOf(run.events, "judge").filter((e) => e.data.final);
    expect(finals.map((e) => [e.data.questionId, e.data.round, e.data.answer])).toEqual(
      FIXTURE.outputs.map((o, i) => [
        ITEMS[i]!.id,
        o.moderatorCalls,
        o.success ? o.debate_answer : null,
      ]),
    );
    // The final judge's first reply (the candidates) is recorded on its ruling.
    const judged = FIXTURE.exchanges.filter((e) => e.role === "Judge");
    expect(finals.map((e) => e.data.candidates ?? null)).toEqual(
      FIXTURE.outputs.map((o) =>
        o.judgeCalls === 2 ? judged.find((e) => e.topic === o.topic)!.answer : null,
      ),
    );
    const baseAnswers = interactionsOf(run.events, "answer").filter(
      (e) => e.data.round === 1 && e.data.side === "affirmative",
    );
    expect(baseAnswers.map((e) => e.data.text)).toEqual(FIXTURE.outputs.map((o) => o.base_answer));
    const last = roundMetrics(run.events).filter((e) => e.values.final === 1);
    expect(last.map((e) => [e.t.question, e.values.roundsUsed, e.values.judgeCorrect])).toEqual([
      [0, 2, 1],
      [1, 3, 1],
    ]);
    expect(run.metrics[0]).toMatchObject({
      judgeAccuracy: 1,
      baselineAccuracy: 0,
      roundsUsed: 2.5,
      judgeUnusable: 0,
    });
  }, 60_000);

  it("policy judges break on a non-empty answer and ask for candidates, the same on both policy paths", async () => {
    const tmp = tempDir("mad-released-policy");
    const run = async (rounds: number, policyPath: string) => {
      const dir = join(tmp.path, `${rounds}-${policyPath}`);
      const path = writeConfig(dir, "config.yaml", {
        scenario: "debate",
        seed: 3,
        generations: 1,
        policyPath,
        population: {
          size: 2,
          minds: [
            { count: 1, policy: "solver", accuracy: 0, persuadability: 1 },
            { count: 1, policy: "solver", accuracy: 1, stubbornness: 1 },
          ],
        },
        debate: {
          setup: "mad",
          compat: "mad-released",
          rounds,
          questions: { generator: "arithmetic", count: 3 },
          questionsPerGeneration: 3,
          judge: { policy: "judge", rule: "majority" },
        },
      });
      const result = await startRun(path, { out: join(dir, "run") });
      expect(result.status).toBe("completed");
      const events = readFileSync(join(dir, "run", "events.jsonl"), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as AgoraEvent);
      return interactionsOf(events, "judge").map((e) => e.data);
    };
    try {
      for (const rounds of [1, 2]) {
        const fast = await run(rounds, "fast");
        expect(await run(rounds, "text"), `rounds ${rounds}`).toEqual(fast);
        const finals = fast.filter((d) => d.final);
        // The affirmative opens wrong and the negative right: the majority judge gives no answer
        // in round 1 (an empty debate_answer goes on). With one round the final judge then lists
        // the candidates and, with no majority, takes the first side; with two, the affirmative
        // is persuaded and round 2's ruling decides for the negative, which held the answer.
        expect(finals.map((d) => [d.round, d.side, d.correct, d.candidates !== undefined])).toEqual(
          Array(3).fill(
            rounds === 1 ? [1, "affirmative", false, true] : [2, "negative", true, false],
          ),
        );
        if (rounds === 1) expect(finals[0]!.candidates).toMatch(/^Answer candidates: \S+; \S+\.$/);
      }
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});

describe("reading a ruling by its answer (the released adaptive break)", () => {
  const q: Question = { id: "ten", question: "What is 5+5?", answers: ["10"], source: "test" };
  const read = (ruling: Record<string, string>) =>
    parseJudge(JSON.stringify(ruling), ["affirmative", "negative"], q, false, "answer");

  it("decides on a non-empty answer whatever the preference, and not without one", () => {
    expect(read({ "Whether there is a preference": "No", debate_answer: "10" })).toEqual({
      decided: true,
      side: null,
      answer: "10",
      usable: true,
    });
    const preferred = { "Whether there is a preference": "Yes", "Supported Side": "Negative" };
    expect(read({ ...preferred, debate_answer: "" })).toEqual({
      decided: false,
      side: null,
      answer: null,
      usable: true,
    });
    // The released code fails on a ruling without the field; here it is unusable and the debate
    // goes on.
    expect(read(preferred)).toMatchObject({ decided: false, usable: false });
    // The default rule, for contrast: the preference decides.
    expect(parseJudge(JSON.stringify(preferred), ["affirmative", "negative"], q, false)).toEqual({
      decided: true,
      side: "negative",
      answer: null,
      usable: true,
    });
  });
});

const SCENARIOS = await builtinScenarios();

describe("compat mad-released config checks", () => {
  const errorOf = (size: number, debate: Record<string, unknown>): string => {
    try {
      resolveConfig(
        {
          scenario: "debate",
          population: { size, minds: [{ count: size, policy: "solver" }] },
          debate: {
            questions: { generator: "arithmetic", count: 2 },
            judge: { policy: "judge" },
            compat: "mad-released",
            setup: "mad",
            ...debate,
          },
        },
        SCENARIOS,
      );
    } catch (error) {
      return (error as Error).message;
    }
    return "no error";
  };

  it("names the field and the value of a setting the released code does not have", () => {
    expect(errorOf(2, { setup: "n-agent", judge: undefined })).toMatch(
      /debate\.compat: got "mad-released", expected .*mad-released belongs to setup mad/,
    );
    expect(errorOf(3, {})).toMatch(/population\.size: got 3, expected 2 debaters/);
    expect(errorOf(2, { disagreement: "high" })).toMatch(
      /debate\.disagreement: got "high", expected medium for compat mad-released/,
    );
    expect(errorOf(2, { adaptiveBreak: false })).toMatch(/debate\.adaptiveBreak: got false/);
    expect(errorOf(2, { rounds: 11 })).toMatch(/debate\.rounds: got 11, expected at most 10/);
    expect(errorOf(2, {})).toBe("no error");
  });
});
