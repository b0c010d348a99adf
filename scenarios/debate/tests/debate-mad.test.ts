/**
 * MAD end to end through the CLI and ChatOpenAI against the local fake OpenAI server, with scripted
 * replies: the judge's decision stops a debate in the round it is given, each side's prompt holds
 * only the opposing side's latest argument, and the final judgement sees every argument.
 */
import { describe, expect, it } from "vitest";
import {
  type DebatePlan,
  answerRequests,
  debateWorkspace,
  interactionsOf,
  markersIn,
  readRequest,
  roundMetrics,
  runDebate,
} from "../../../tests/support/debate-helpers.js";

const workspace = debateWorkspace();

describe("MAD", () => {
  const plan: DebatePlan = {
    answer: (r) =>
      r.question === "What is 2+2?"
        ? r.side === "affirmative" && r.round === 1
          ? "5"
          : "4"
        : r.question === "What is 3+3?"
          ? "6"
          : "9",
    judge: (r) => {
      if (r.question === "What is 3+3?") return { decided: true, side: "Negative", answer: "6" };
      if (r.question === "What is 2+2?")
        return r.round === 3
          ? { decided: true, side: "Affirmative", answer: "4" }
          : { decided: false };
      // The final ruling names a side but no answer: it takes that side's answer.
      return r.final ? { decided: true, side: "Negative" } : { decided: false };
    },
  };

  it("stops in the round the judge decides, shows each side only the latest opposing argument, and judges at the end otherwise", async () => {
    const { work, config, requests } = await workspace(plan);
    const run = await runDebate(
      work,
      "run",
      config(2, { setup: "mad", rounds: 3, judge: { profile: "fake" } }),
    );
    const asked = requests().map(readRequest);

    // "six": decided in round 1, so nobody speaks in round 2 and no final judgement is asked for.
    const six = asked.filter((r) => "question" in r && r.question === "What is 3+3?");
    expect(six.map((r) => `${r.kind}:${"round" in r ? r.round : ""}`)).toEqual([
      "answer:1",
      "answer:1",
      "judge:1",
    ]);
    // "four": undecided in rounds 1-2, decided in round 3: its round-3 ruling is final.
    const four = asked.filter((r) => "question" in r && r.question === "What is 2+2?");
    expect(
      four.filter((r) => r.kind === "judge").map((r) => (r as { final: boolean }).final),
    ).toEqual([false, false, false]);
    // "ten": never decided, so a final judgement follows round 3 and sees every argument.
    const finalJudge = requests().find((req) => {
      const r = readRequest(req);
      return r.kind === "judge" && r.final;
    })!;
    expect(readRequest(finalJudge)).toMatchObject({ question: "What is 5+5?", round: 3 });
    expect(markersIn(finalJudge.messages.map((m) => m.content).join("\n"))).toEqual([
      "g1-a1 r1",
      "g1-a2 r1",
      "g1-a1 r2",
      "g1-a2 r2",
      "g1-a1 r3",
      "g1-a2 r3",
    ]);

    // Each debater's prompt holds its own previous argument and only the opponent's latest one.
    for (const r of answerRequests(requests()).filter((x) => x.question === "What is 2+2?")) {
      const expected =
        r.side === "affirmative"
          ? r.round === 1
            ? []
            : [`g1-a1 r${r.round - 1}`, `g1-a2 r${r.round - 1}`]
          : r.round === 1
            ? ["g1-a1 r1"]
            : [`g1-a2 r${r.round - 1}`, `g1-a1 r${r.round}`];
      expect(r.shown, `${r.side} round ${r.round}`).toEqual(expected);
    }
    const answers = interactionsOf(run.events, "answer").filter(
      (e) => e.data.questionId === "four",
    );
    expect(answers.map((e) => [e.from, e.data.side, e.data.round, e.data.sawFrom])).toEqual([
      ["g1-a1", "affirmative", 1, []],
      ["g1-a2", "negative", 1, ["g1-a1"]],
      ["g1-a1", "affirmative", 2, ["g1-a1", "g1-a2"]],
      ["g1-a2", "negative", 2, ["g1-a2", "g1-a1"]],
      ["g1-a1", "affirmative", 3, ["g1-a1", "g1-a2"]],
      ["g1-a2", "negative", 3, ["g1-a2", "g1-a1"]],
    ]);
    expect(answers.map((e) => e.data.correct)).toEqual([false, true, true, true, true, true]);
    // Every answer carries the question's key, the judge's rulings do not (they share the answers'
    // question).
    expect(answers.map((e) => e.data.accepted)).toEqual(Array(6).fill(["4"]));
    expect(interactionsOf(run.events, "judge").every((e) => !("accepted" in e.data))).toBe(true);

    // Questions play side by side, one step per round: "six" is decided in the first.
    const judged = interactionsOf(run.events, "judge").filter((e) => e.data.final);
    expect(
      judged.map((e) => [
        e.data.questionId,
        e.data.round,
        e.data.side,
        e.data.answer,
        e.data.correct,
      ]),
    ).toEqual([
      ["six", 1, "negative", "6", true],
      ["four", 3, "affirmative", "4", true],
      ["ten", 3, "negative", "9", false],
    ]);
    const lastRounds = roundMetrics(run.events).filter((e) => e.values.final === 1);
    expect(
      lastRounds.map((e) => [e.t.question, e.t.round, e.values.roundsUsed, e.values.judgeCorrect]),
    ).toEqual([
      [1, 1, 1, 1],
      [0, 3, 3, 1],
      [2, 3, 3, 0],
    ]);
    expect(run.metrics[0]).toMatchObject({
      judgeAccuracy: 2 / 3,
      baselineAccuracy: 1 / 3, // the affirmative's openings: 5 (wrong), 6 (right), 9 (wrong)
      roundsUsed: 7 / 3,
      judgeAffirmativeShare: 1 / 3,
    });
    const judgeAgent = run.events.find((e) => e.type === "agent-created" && e.agent.id === "judge");
    expect(judgeAgent).toMatchObject({
      agent: { role: "judge", slot: "judge", mind: { kind: "llm" } },
    });
  }, 30_000);
});
