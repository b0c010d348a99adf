/**
 * The debate against models that answer badly, through the CLI, the real runtime and ChatOpenAI
 * against the local fake OpenAI server's messy models: random text is counted as unreadable and
 * never measured; identical prompts of one agent for two debaters are two samples, live and in
 * replay; the lenient reading switch; structured (JSON) answers; prompts that do not fit.
 */
import { describe, expect, it } from "vitest";
import { estimatePromptTokens } from "../../../agents/context-fit.js";
import type { ChatMessage } from "../../../sim/core/minds.js";
import { dropOldestRounds } from "../society.js";
import {
  type ChatRequestRecord,
  type Script,
  messyScript,
} from "../../../tests/support/fake-openai.js";
import {
  debateWorkspace,
  interactionsOf,
  readRequest,
  replayDebate,
  roundMetrics,
  runDebate,
} from "../../../tests/support/debate-helpers.js";
import { ofType, stableEvents } from "../../../tests/support/llm-helpers.js";

const workspace = debateWorkspace();

/** Short answers, so random text stays small. */
const SHORT = { maxTokens: 40 };

describe("a model that writes random text", () => {
  it("n-agent: runs to the end; every answer is counted unreadable and none is measured", async () => {
    const { work, config } = await workspace(messyScript({ seed: 7, mode: "rambling" }));
    const run = await runDebate(
      work,
      "run",
      config(3, { setup: "n-agent", rounds: 2, questionsPerGeneration: 2 }, { profile: SHORT }),
    );

    const answers = interactionsOf(run.events, "answer");
    expect(answers).toHaveLength(3 * 3 * 2);
    // The texts have numbers in them (read leniently, they would be answers), but no answer marker.
    expect(answers.filter((e) => /\d/.test(String(e.data.text))).length).toBeGreaterThan(
      answers.length / 2,
    );
    expect(answers.every((e) => e.data.answer === null)).toBe(true);
    for (const e of roundMetrics(run.events)) {
      expect(e.values).toMatchObject({
        accuracy: null,
        agreement: null,
        distinctAnswers: 0,
        majorityCorrect: null,
        answersUnreadable: 3,
      });
    }
    expect(run.metrics[0]).toMatchObject({
      answersUnreadable: 18,
      accuracy: null,
      majorityAccuracy: null,
      baselineAccuracy: null,
      agreement: null,
      conformity: null,
      rightToWrong: null,
      accuracyExcluded: 6, // the final round's 3 answers to each of the 2 questions
      agreementExcluded: 6,
      baselineExcluded: 6, // round 0's
      conformityExcluded: 12, // 3 debaters × 2 moves × 2 questions
    });
    // The end-of-run summary names the count.
    expect(run.stdout).toContain("answersUnreadable=18");

    // Read leniently (also the last number: how every reply was read before), the same replies,
    // replayed from the cache, become data.
    const lenient = await runDebate(
      work,
      "lenient",
      config(
        3,
        { setup: "n-agent", rounds: 2, questionsPerGeneration: 2, answerReading: "lenient" },
        { profile: SHORT },
      ),
    );
    expect(ofType(lenient.events, "llm-call").every((e) => e.cached)).toBe(true);
    expect(lenient.metrics[0]!.agreement).toEqual(expect.any(Number));
    expect(lenient.metrics[0]!.answersUnreadable).toBeLessThan(18);
  }, 30_000);

  it("MAD: runs to the end; answers and rulings are counted, the judge's accuracy is not made up", async () => {
    const { work, config } = await workspace(messyScript({ seed: 11, mode: "rambling" }));
    const run = await runDebate(
      work,
      "run",
      config(
        2,
        { setup: "mad", rounds: 2, questionsPerGeneration: 2, judge: { profile: "fake" } },
        { profile: SHORT },
      ),
    );

    // No ruling can be read: no round decides, so each question gets a final judgement, unusable
    // too (the two questions play side by side, round by round).
    const rulings = interactionsOf(run.events, "judge");
    expect(
      rulings.map((e) => [
        e.data.round,
        e.data.final,
        e.data.decided,
        e.data.usable,
        e.data.answer,
      ]),
    ).toEqual([
      [1, false, false, false, null],
      [1, false, false, false, null],
      [2, false, false, false, null],
      [2, true, false, false, null],
      [2, false, false, false, null],
      [2, true, false, false, null],
    ]);
    expect(run.metrics[0]).toMatchObject({
      answersUnreadable: 8,
      judgeUnusable: 6,
      judgeAccuracy: null,
      judgeExcluded: 2,
      judgeAffirmativeShare: null,
      accuracy: null,
      agreement: null,
      conformity: null,
      accuracyExcluded: 4,
      baselineExcluded: 2, // the affirmative's openings
      conformityExcluded: 4,
    });
    for (const e of roundMetrics(run.events).filter((m) => m.values.final === 1))
      expect(e.values.judgeCorrect).toBeNull();
    expect(run.stdout).toMatch(/answersUnreadable=8 judgeUnusable=6/);
  }, 30_000);
});

describe("identical prompts", () => {
  it("the summariser's identical prompts for two debaters are two samples, each replayed to its own debater", async () => {
    // On a star around g1-a3, g1-a1 and g1-a2 both hear only g1-a3: the summariser gets the same
    // prompt for
    // each.
    const { work, config, requests, server } = await workspace(
      messyScript({ seed: 3, mode: "varied" }),
    );
    const run = await runDebate(
      work,
      "run",
      config(
        3,
        { setup: "n-agent", rounds: 1, questionsPerGeneration: 2, summariser: { profile: "fake" } },
        { graph: { type: "star", center: 2 }, profile: { ...SHORT, seed: 5 } },
      ),
    );

    // Each identical prompt reached the server twice, with a seed of its own (the profile seed and
    // the call's identity).
    const summaryRequests = requests().filter((req) => readRequest(req).kind === "summary");
    expect(summaryRequests).toHaveLength(6);
    const seedsByPrompt = new Map<string, unknown[]>();
    for (const req of summaryRequests)
      seedsByPrompt.set(JSON.stringify(req.messages), [
        ...(seedsByPrompt.get(JSON.stringify(req.messages)) ?? []),
        req.body.seed,
      ]);
    const identical = [...seedsByPrompt.values()].filter((seeds) => seeds.length > 1);
    expect(identical).toHaveLength(2);
    for (const seeds of identical) expect(new Set(seeds).size).toBe(2);

    // The two samples differ, and each debater's next prompt holds its own.
    const summaries = interactionsOf(run.events, "summary");
    for (const questionId of ["four", "six"]) {
      const [to11, to12] = ["g1-a1", "g1-a2"].map((to) =>
        summaries.find((e) => e.data.questionId === questionId && e.to === to)!,
      );
      expect([to11!.data.of, to12!.data.of]).toEqual([["g1-a3"], ["g1-a3"]]);
      expect(to11!.data.summary).not.toEqual(to12!.data.summary);
      for (const e of [to11!, to12!]) {
        const prompt = requests().find(
          (req) =>
            req.messages[0]!.content.startsWith(`You are ${e.to},`) &&
            req.messages.at(-1)!.content.includes("Here is a summary") &&
            req.messages[1]!.content.includes(questionId === "four" ? "2+2" : "3+3"),
        )!;
        expect(prompt.messages.at(-1)!.content).toContain(`\`\`\`${String(e.data.summary)}\`\`\``);
      }
    }

    // Replayed from the cache with the server gone, each debater gets its own summary back.
    await server.close();
    const replay = await replayDebate(work, "run");
    expect(stableEvents(replay)).toEqual(stableEvents(run.events));
  }, 30_000);
});

describe("answer reading", () => {
  const ITEMS = [{ id: "sum", question: "What is 40+2?", answers: ["42"] }];
  const noisy: Script = () => "blah 42 blah";

  it("by default an unmarked number is no answer; with answerReading: lenient it is read", async () => {
    const { work, config, requests } = await workspace(noisy, ITEMS);
    const marked = await runDebate(work, "run", config(2, { setup: "single" }));
    expect(
      interactionsOf(marked.events, "answer").map((e) => [e.data.answer, e.data.correct]),
    ).toEqual([
      [null, false],
      [null, false],
    ]);
    expect(marked.metrics[0]).toMatchObject({
      accuracy: null,
      accuracyExcluded: 2,
      answersUnreadable: 2,
    });

    const lenient = await runDebate(
      work,
      "lenient",
      config(2, { setup: "single", answerReading: "lenient" }),
    );
    expect(
      interactionsOf(lenient.events, "answer").map((e) => [e.data.answer, e.data.correct]),
    ).toEqual([
      ["42", true],
      ["42", true],
    ]);
    expect(lenient.metrics[0]).toMatchObject({
      accuracy: 1,
      accuracyExcluded: 0,
      answersUnreadable: 0,
    });
    // Free text is the default: no response format is asked for.
    expect(requests().every((req) => !("response_format" in req.body))).toBe(true);
  }, 30_000);
});

/** What each kind of request is asked to answer in, and a well-formed answer in that schema. */
const STRUCTURED: Record<string, { kind: string; reply: Record<string, unknown> }> = {
  debate_answer: {
    kind: "answer",
    reply: { reasoning: "Another agent said the answer is 5, but 2+2 is 4.", answer: "4" },
  },
  answers_summary: { kind: "summary", reply: { summary: "Both agents say 4." } },
  attitude_survey: { kind: "survey", reply: { attitude: 7 } },
  debating_advice: { kind: "advice", reply: { advice: "Recompute every sum." } },
  judge_round: {
    kind: "judge",
    reply: {
      "Whether there is a preference": "Yes",
      "Supported Side": "Negative",
      Reason: "sound",
      debate_answer: "4",
    },
  },
  judge_final: {
    kind: "judge",
    reply: { "Supported Side": "g1-a2", Reason: "sound", debate_answer: "4" },
  },
};

/** Answers in the schema the request asks for; without one, text that reads as nothing. */
const structuredModel: Script = (req) => {
  const name = (req.body.response_format as { json_schema?: { name?: string } } | undefined)
    ?.json_schema?.name;
  return name !== undefined && name in STRUCTURED
    ? JSON.stringify(STRUCTURED[name]!.reply)
    : "no format asked for";
};

describe("structured answers", () => {
  it("with responseFormat json_schema every request carries its strict JSON schema, and the JSON replies are read", async () => {
    const { work, config, requests } = await workspace(structuredModel, [
      { id: "four", question: "What is 2+2?", answers: ["4"] },
    ]);
    const profile = { responseFormat: "json_schema" };
    const society = await runDebate(
      work,
      "society",
      config(
        2,
        {
          setup: "n-agent",
          rounds: 1,
          survey: true,
          summariser: { profile: "fake" },
          judge: { profile: "fake" },
          evolution: { enabled: true },
        },
        { profile },
      ),
    );
    const mad = await runDebate(
      work,
      "mad",
      config(2, { setup: "mad", rounds: 1, judge: { profile: "fake" } }, { profile }),
    );

    const names = new Set<string>();
    for (const req of requests()) {
      expect(req.body.response_format).toMatchObject({ type: "json_schema" });
      const format = req.body.response_format as {
        json_schema: {
          name: string;
          strict: boolean;
          schema: { properties: object; required: string[]; additionalProperties: boolean };
        };
      };
      const { name, strict, schema } = format.json_schema;
      expect(STRUCTURED[name]?.kind, name).toBe(readRequest(req).kind);
      // Strict mode: every property required, no others allowed.
      expect(strict).toBe(true);
      expect(schema.required).toEqual(Object.keys(schema.properties));
      expect(schema.additionalProperties).toBe(false);
      names.add(name);
    }
    expect([...names].sort()).toEqual(Object.keys(STRUCTURED).sort());

    // Read from the fields: the answer (not the reasoning's "the answer is 5"), attitude, summary,
    // advice, rulings.
    expect(interactionsOf(society.events, "answer").map((e) => e.data.answer)).toEqual([
      "4",
      "4",
      "4",
      "4",
    ]);
    expect(interactionsOf(society.events, "survey").map((e) => e.data.attitude)).toEqual([
      7, 7, 7, 7,
    ]);
    expect(interactionsOf(society.events, "summary").map((e) => e.data.summary)).toEqual([
      "Both agents say 4.",
      "Both agents say 4.",
    ]);
    expect(
      ofType(society.events, "agent-created")
        .filter((e) => e.agent.role === "debater")
        .map((e) => e.agent.strategy),
    ).toEqual(["Recompute every sum.", "Recompute every sum."]);
    expect(
      interactionsOf(society.events, "judge").map((e) => [
        e.data.final,
        e.data.side,
        e.data.answer,
        e.data.correct,
      ]),
    ).toEqual([[true, "g1-a2", "4", true]]);
    expect(
      interactionsOf(mad.events, "judge").map((e) => [
        e.data.final,
        e.data.side,
        e.data.answer,
        e.data.usable,
      ]),
    ).toEqual([[true, "negative", "4", true]]);
    expect(
      ofType([...society.events, ...mad.events], "llm-call").every(
        (e) => e.responseFormat === "json_schema",
      ),
    ).toBe(true);
    for (const m of [society.metrics[0]!, mad.metrics[0]!]) {
      expect(m).toMatchObject({
        answersUnreadable: 0,
        judgeUnusable: 0,
        surveysUnusable: 0,
        summariesUnusable: 0,
        adviceUnusable: 0,
      });
    }
  }, 30_000);
});

describe("prompts that do not fit", () => {
  it("every call refused by the server (context exceeded) is counted where it was made, and the run goes on and replays", async () => {
    const { work, config, requests, server } = await workspace(
      messyScript({ seed: 1, mode: "varied", contextWindow: 5, server: "vllm" }),
      [{ id: "four", question: "What is 2+2?", answers: ["4"] }],
    );
    const run = await runDebate(
      work,
      "run",
      config(
        2,
        {
          setup: "n-agent",
          rounds: 1,
          survey: true,
          summariser: { profile: "fake" },
          judge: { profile: "fake" },
          evolution: { enabled: true },
        },
        { profile: SHORT },
      ),
    );
    // advice 2, answers 2 + 2, surveys 2 + 2, summaries 2, final judgement 1: each sent once,
    // refused, never re-asked.
    expect(requests()).toHaveLength(13);
    expect(run.metrics[0]).toMatchObject({
      llmContextExceeded: 13,
      adviceUnusable: 2,
      answersUnreadable: 4,
      surveysUnusable: 4,
      summariesUnusable: 2,
      judgeUnusable: 1,
      judgeExcluded: 1,
      accuracy: null,
    });
    expect(
      interactionsOf(run.events, "answer").every(
        (e) => e.data.text === null && e.data.answer === null,
      ),
    ).toBe(true);
    // Later prompts show a turn with no reply as such (never an empty message), and say no summary
    // was available.
    for (const req of requests())
      expect(req.messages.every((m) => m.content.trim() !== "")).toBe(true);
    const round1 = requests().filter((req) => {
      const r = readRequest(req);
      return r.kind === "answer" && req.messages.length > 2;
    });
    expect(round1).toHaveLength(2);
    for (const req of round1) {
      expect(req.messages[2]).toEqual({ role: "assistant", content: "(no reply)" });
      expect(req.messages[3]!.content).toMatch(
        /^No summary of the other agents' recent answers is available this round\./,
      );
    }
    expect(
      interactionsOf(run.events, "answer")
        .filter((e) => e.data.round === 1)
        .map((e) => e.data.sawFrom),
    ).toEqual([["g1-a1"], ["g1-a2"]]);

    await server.close();
    expect(stableEvents(await replayDebate(work, "run"))).toEqual(stableEvents(run.events));
  }, 30_000);

  it("memory: full drops the oldest rounds (a reply and the prompt after it) to fit the context window", () => {
    const m = (role: ChatMessage["role"], content: string): ChatMessage => ({ role, content });
    const conversation = [
      m("system", "S"),
      m("user", "Q"),
      m("assistant", "a0"),
      m("user", "u1"),
      m("assistant", "a1"),
      m("user", "u2"),
      m("assistant", "a2"),
      m("user", "u3"),
    ];
    const within = (n: number) => (messages: readonly ChatMessage[]) => messages.length <= n;
    expect(dropOldestRounds(conversation, within(6))).toEqual({
      messages: [
        m("system", "S"),
        m("user", "Q"),
        m("assistant", "a1"),
        m("user", "u2"),
        m("assistant", "a2"),
        m("user", "u3"),
      ],
      dropped: 1,
    });
    // At the least the system prompt, the question, the latest reply and this round's prompt stay.
    expect(dropOldestRounds(conversation, within(4))).toEqual({
      messages: [m("system", "S"), m("user", "Q"), m("assistant", "a2"), m("user", "u3")],
      dropped: 2,
    });
    expect(dropOldestRounds(conversation, within(3))).toBeNull();
    expect(dropOldestRounds(conversation.slice(0, 4), within(3))).toBeNull();
  });

  it("MAD's final judgement leaves out the oldest rounds' arguments when all of them do not fit the judge's context", async () => {
    const plan = {
      answer: () => "5",
      judge: (r: { final: boolean }) => ({ decided: r.final, side: "Affirmative" }),
    };
    const { work, config, requests } = await workspace(plan, [
      { id: "four", question: "What is 2+2?", answers: ["4"] },
    ]);
    const madConfig = config(2, { setup: "mad", rounds: 3, judge: { profile: "fake" } });
    await runDebate(work, "whole", madConfig);
    const isFinal = (req: ChatRequestRecord) => {
      const r = readRequest(req);
      return r.kind === "judge" && r.final;
    };
    const whole = requests().filter(isFinal);
    expect(whole).toHaveLength(1);
    const size = estimatePromptTokens(whole[0]!.messages as ChatMessage[]);

    // A judge whose context holds the final prompt less one token (with room for its 1024-token
    // answer).
    const profiles = madConfig.profiles as Record<string, Record<string, unknown>>;
    const tight = {
      ...madConfig,
      profiles: { ...profiles, judge: { ...profiles.fake, contextWindow: size + 1024 - 1 } },
      debate: { ...(madConfig.debate as object), judge: { profile: "judge" } },
    };
    const run = await runDebate(work, "tight", tight);
    const trimmed = requests().filter(isFinal);
    expect(trimmed).toHaveLength(2);
    const prompt = trimmed[1]!.messages.at(-1)!.content;
    expect(prompt).toContain("Here are the arguments of rounds 2 to 3, round by round");
    expect(prompt).not.toContain("Round 1, ");
    expect(prompt).toContain("Round 2, affirmative side:");
    const call = ofType(run.events, "llm-call").find(
      (e) => e.purpose === "judge" && !e.cached && e.trimmed !== undefined,
    );
    expect(call?.trimmed).toBe(2);
    expect(
      interactionsOf(run.events, "judge")
        .filter((e) => e.data.final)
        .map((e) => [e.data.side, e.data.usable]),
    ).toEqual([["affirmative", true]]);
  }, 30_000);
});
