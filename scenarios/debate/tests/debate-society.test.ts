/**
 * The round-based debate setups (N-agent, societies, persona) end to end through the CLI and
 * ChatOpenAI against the local fake OpenAI server, with scripted replies: what each agent's prompt
 * contained (read from the requests the server received), votes and ties, and private surveys.
 */
import { describe, expect, it } from "vitest";
import {
  type DebatePlan,
  QUESTIONS,
  answerRequests,
  debateWorkspace,
  interactionsOf,
  readRequest,
  replayDebate,
  roundMetrics,
  runDebate,
} from "../../../tests/support/debate-helpers.js";
import { stableEvents } from "../../../tests/support/llm-helpers.js";

const workspace = debateWorkspace();

describe("N-agent debate", () => {
  // On a 4-cycle g1-a1 hears g1-a2 and g1-a4, never g1-a3. "four" ends 2-2 (a tie); "six" 3-1 for
  // the right
  // answer.
  const plan: DebatePlan = {
    answer: (r) =>
      r.question === "What is 2+2?"
        ? ["g1-a1", "g1-a2"].includes(r.name)
          ? "4"
          : "5"
        : r.name === "g1-a4"
          ? "7"
          : "6",
  };
  const NEIGHBOURS: Record<string, string[]> = {
    "g1-a1": ["g1-a2", "g1-a4"],
    "g1-a2": ["g1-a1", "g1-a3"],
    "g1-a3": ["g1-a2", "g1-a4"],
    "g1-a4": ["g1-a1", "g1-a3"],
  };

  it("shows each agent exactly its graph neighbours' previous answers and counts votes and ties", async () => {
    const { work, config, requests } = await workspace(plan, QUESTIONS.slice(0, 2));
    const run = await runDebate(
      work,
      "run",
      config(4, { setup: "n-agent", rounds: 2 }, { graph: { type: "cycle" } }),
    );

    const debating = answerRequests(requests()).filter((r) => r.round > 0);
    expect(debating).toHaveLength(2 * 2 * 4);
    for (const r of debating) {
      const others = r.shown.filter((m) => !m.startsWith(`${r.name} `));
      expect(others.sort(), `${r.name} round ${r.round}`).toEqual(
        NEIGHBOURS[r.name]!.map((n) => `${n} r${r.round - 1}`),
      );
      expect(r.shown).toContain(`${r.name} r${r.round - 1}`);
    }
    for (const e of interactionsOf(run.events, "answer")) {
      expect(e.data.sawFrom).toEqual(e.data.round === 0 ? [] : [e.from, ...NEIGHBOURS[e.from]!]);
    }

    const finals = roundMetrics(run.events).filter((e) => e.values.final === 1);
    expect(finals.map((e) => e.values)).toEqual([
      expect.objectContaining({
        accuracy: 0.5,
        agreement: 0.5,
        distinctAnswers: 2,
        tie: 1,
        majorityCorrect: 0,
        roundsUsed: 2,
        judgeCorrect: null,
      }),
      expect.objectContaining({
        accuracy: 0.75,
        agreement: 0.75,
        distinctAnswers: 2,
        tie: 0,
        majorityCorrect: 1,
        roundsUsed: 2,
      }),
    ]);
    expect(run.metrics[0]).toMatchObject({
      questions: 2,
      accuracy: 0.625,
      majorityAccuracy: 0.5,
      ties: 0.5,
      judgeAccuracy: null,
      baselineAccuracy: 0.625,
      gainOverBaseline: -0.125,
    });
    expect(run.metrics[0]!.tokensPerQuestion).toBeGreaterThan(0);

    // A replay from the cache, with no key and no call made, records the same debate.
    const asked = requests().length;
    const replay = await replayDebate(work, "run");
    expect(requests()).toHaveLength(asked);
    expect(stableEvents(replay)).toEqual(stableEvents(run.events));
  }, 30_000);

  it("with a summariser, each agent sees the summary of its neighbours' answers instead of their texts", async () => {
    const { work, config, requests } = await workspace(plan, QUESTIONS.slice(1, 2));
    const run = await runDebate(
      work,
      "run",
      config(3, { setup: "n-agent", rounds: 1, summariser: { profile: "fake" } }),
    );
    const summaries = interactionsOf(run.events, "summary");
    expect(summaries.map((e) => [e.from, e.to, e.data.of])).toEqual([
      ["summariser", "g1-a1", ["g1-a2", "g1-a3"]],
      ["summariser", "g1-a2", ["g1-a1", "g1-a3"]],
      ["summariser", "g1-a3", ["g1-a1", "g1-a2"]],
    ]);
    for (const r of answerRequests(requests()).filter((x) => x.round === 1))
      expect(r.shown).toEqual([`${r.name} r0`]);
    const round1 = interactionsOf(run.events, "answer").filter((e) => e.data.round === 1);
    expect(round1.map((e) => e.data.sawFrom)).toEqual([
      ["g1-a1", "summariser"],
      ["g1-a2", "summariser"],
      ["g1-a3", "summariser"],
    ]);
    const summariser = run.events.find(
      (e) => e.type === "agent-created" && e.agent.id === "summariser",
    );
    expect(summariser).toMatchObject({ agent: { role: "summariser", slot: "summariser" } });
  }, 30_000);
});

describe("Memory", () => {
  it("with memory: full a debater's prompt is its whole conversation: every round of its own and its neighbours' replies", async () => {
    const { work, config, requests } = await workspace(
      { answer: (r) => (r.name === "g1-a1" ? "7" : "6") },
      QUESTIONS.slice(1, 2),
    );
    const run = await runDebate(
      work,
      "run",
      config(3, { setup: "n-agent", rounds: 2, memory: "full" }),
    );
    const last = answerRequests(requests()).filter((r) => r.round === 2);
    expect(last).toHaveLength(3);
    for (const r of last) {
      const others = ["g1-a1", "g1-a2", "g1-a3"].filter((n) => n !== r.name);
      expect(r.shown).toEqual([
        `${r.name} r0`,
        ...others.map((n) => `${n} r0`),
        `${r.name} r1`,
        ...others.map((n) => `${n} r1`),
      ]);
    }
    const round2 = interactionsOf(run.events, "answer").filter((e) => e.data.round === 2);
    expect(round2.map((e) => e.data.sawFrom)).toEqual([
      ["g1-a1", "g1-a2", "g1-a3"],
      ["g1-a2", "g1-a1", "g1-a3"],
      ["g1-a3", "g1-a1", "g1-a2"],
    ]);
  }, 30_000);
});

describe("Societies", () => {
  it("a reflection round shows only the agent's own answer, a debate round the others' too; traits reach the system prompt", async () => {
    const { work, config, requests } = await workspace(
      { answer: (r) => (r.name === "g1-a1" ? "7" : "6") },
      QUESTIONS.slice(1, 2),
    );
    const run = await runDebate(
      work,
      "run",
      config(3, {
        setup: "societies",
        rounds: 2,
        patterns: ["reflection", "debate"],
        agents: [{ trait: "overconfident" }, { trait: "easy-going" }],
      }),
    );
    const asked = answerRequests(requests());
    for (const r of asked.filter((x) => x.round === 1)) expect(r.shown).toEqual([`${r.name} r0`]);
    for (const r of asked.filter((x) => x.round === 2))
      expect([...r.shown].sort()).toEqual(["g1-a1 r1", "g1-a2 r1", "g1-a3 r1"]);
    const system = (name: string) =>
      requests().find((req) => req.messages[0]!.content.startsWith(`You are ${name},`))!
        .messages[0]!.content;
    expect(system("g1-a1")).toMatch(/confident in your answer/);
    expect(system("g1-a2")).toMatch(/can be persuaded/);
    expect(system("g1-a3")).not.toMatch(/confident in your answer|can be persuaded/);
    const patterns = interactionsOf(run.events, "answer").map(
      (e) => `${e.data.round}:${e.data.pattern}`,
    );
    expect(patterns).toEqual([
      "0:initial",
      "0:initial",
      "0:initial",
      "1:reflection",
      "1:reflection",
      "1:reflection",
      "2:debate",
      "2:debate",
      "2:debate",
    ]);
  }, 30_000);
});

describe("Persona debate", () => {
  const TOPIC = {
    id: "wage",
    topic: "minimum wage",
    question: "Raising the minimum wage would do more good than harm.",
    answers: [],
  };
  const start: Record<string, number> = { "g1-a1": 8, "g1-a2": 2, "g1-a3": 5 };
  const step: Record<string, number> = { "g1-a1": -1, "g1-a2": 1, "g1-a3": 1 };

  it("speaks in a fixed order, keeps the attitude surveys out of every prompt and averages them", async () => {
    const { work, config, requests } = await workspace(
      {
        answer: (r) => (r.name === "g1-a2" ? "disagree" : "agree"),
        attitude: (r) => start[r.name]! + step[r.name]! * r.round,
      },
      [TOPIC],
    );
    const run = await runDebate(
      work,
      "run",
      config(3, {
        setup: "persona",
        rounds: 2,
        agents: [
          { label: "Democrat", persona: "You are a lifelong Democrat." },
          { label: "Republican", persona: "You are a lifelong Republican." },
          { label: "control" },
        ],
      }),
    );
    const surveyRequests = requests().filter((req) => readRequest(req).kind === "survey");
    expect(surveyRequests).toHaveLength(9);
    for (const req of surveyRequests)
      expect(req.messages.at(-1)!.content).toContain(
        '"Raising the minimum wage would do more good than harm."',
      );
    // No survey reply ever reaches a prompt, the surveyed agent's own included.
    for (const req of requests()) expect(JSON.stringify(req.messages)).not.toContain("[[survey");
    const surveys = interactionsOf(run.events, "survey");
    expect(surveys).toHaveLength(9);
    expect(surveys.map((e) => [e.from, e.data.round, e.data.attitude])).toContainEqual([
      "g1-a2",
      2,
      4,
    ]);

    // Fixed speaking order: in round 1, g1-a2 hears g1-a1's round-1 statement and g1-a3's round-0
    // one.
    const r12 = answerRequests(requests()).find((r) => r.name === "g1-a2" && r.round === 1)!;
    expect([...r12.shown].sort()).toEqual(["g1-a1 r1", "g1-a2 r0", "g1-a3 r0"]);
    const systems = requests()
      .filter((req) => readRequest(req).kind === "answer")
      .map((req) => req.messages[0]!.content);
    expect(
      systems
        .filter((s) => s.includes("lifelong Democrat"))
        .every((s) => s.startsWith("You are g1-a1,")),
    ).toBe(true);
    expect(systems.some((s) => s.startsWith("You are g1-a3,") && s.includes("lifelong"))).toBe(
      false,
    );

    const answers = interactionsOf(run.events, "answer");
    expect(answers.every((e) => e.data.correct === null)).toBe(true);
    // An open topic has no key: an empty accepted list, not a missing one.
    expect(answers.map((e) => e.data.accepted)).toEqual(Array(answers.length).fill([]));
    expect(roundMetrics(run.events).map((e) => e.values.attitudeMean)).toEqual([
      5,
      5 + 1 / 3,
      5 + 2 / 3,
    ]);
    expect(run.metrics[0]).toMatchObject({
      accuracy: null,
      attitudeMean: 17 / 3,
      attitudeDrift: 2 / 3,
    });
  }, 30_000);
});
