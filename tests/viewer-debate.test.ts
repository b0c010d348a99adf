/**
 * The debate's view module on an event log written from the debate contract: the derived chat
 * state (questions, rounds, per-agent filtering), each debater's current answer at the viewed
 * time (the graph's colouring), attitude lines, round-metric series, bounds, and that the fold is
 * pure and batching-independent like the reducer it hooks into.
 */
import { describe, expect, it } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import {
  ANSWER_COLORS,
  MAX_ENTRIES,
  MAX_QUESTIONS,
  answerCategory,
  attitudeSeries,
  chatRounds,
  debateState,
  debateView,
  deriveDebate,
  perQuestion,
  questionRounds,
  readableText,
  verdictOf,
} from "../scenarios/debate/view.js";
import { viewFor } from "../viewer/src/scenarios/index.js";
import { initialState, reduce, reduceAll } from "../viewer/src/state/reducer.js";
import { Timeline } from "../viewer/src/state/timeline.js";
import type { InteractionEntry } from "../viewer/src/state/types.js";
import { DEBATERS, debateEvents } from "./support/viewer-fixtures.js";

const events = debateEvents();
const final = reduceAll(events);

/** The state just after the first event matching `pred`. */
function stateAfter(pred: (e: AgoraEvent) => boolean): ReturnType<typeof reduceAll> {
  const i = events.findIndex(pred);
  expect(i).toBeGreaterThan(0);
  return reduceAll(events.slice(0, i + 1));
}

const isRoundMetric = (question: number, round: number) => (e: AgoraEvent) =>
  e.type === "metric" && e.scope === "round" && e.t.question === question && e.t.round === round;

describe("debate view: derived chat state", () => {
  it("is the registered view for scenario debate and keeps both questions", () => {
    expect(viewFor("debate")).toBe(debateView);
    const d = debateState(final);
    expect(d.questions.map((q) => q.key)).toEqual(["1:0", "1:1"]);
    expect(d.questions[0]!.text).toContain("17 sheep");
    expect(d.questions[1]!.questionId).toBe("topic-cars");
    expect(d.latestKey).toBe("1:1");
  });

  it("groups a question's chat by round, in event order, with roles, verdicts and private surveys", () => {
    const [q0, q1] = debateState(final).questions;
    const rounds = chatRounds(q0!);
    expect(rounds.map((r) => r.round)).toEqual([0, 1, 2]);
    expect(rounds.map((r) => r.items.map((i) => i.kind))).toEqual([
      ["answer", "answer", "answer"],
      ["summary", "summary", "summary", "answer", "answer", "answer", "judge"],
      ["answer", "answer", "answer", "judge"],
    ]);
    expect(rounds[0]!.items.map((i) => i.verdict)).toEqual(["right", "wrong", "unreadable"]);
    expect(rounds[0]!.items.map((i) => i.side)).toEqual(["affirmative", "negative", "negative"]);
    const judges = rounds.flatMap((r) => r.items).filter((i) => i.kind === "judge");
    expect(judges.map((j) => [j.final, j.decided, j.verdict])).toEqual([
      [false, false, "undecided"],
      [true, true, "right"],
    ]);
    expect(rounds[1]!.items[3]!.sawFrom).toEqual(["g1-a2", "g1-a3"]);
    // Surveys are private entries; topic answers have no key.
    const q1Items = chatRounds(q1!).flatMap((r) => r.items);
    const surveys = q1Items.filter((i) => i.kind === "survey");
    expect(surveys).toHaveLength(9);
    expect(surveys.every((s) => s.private)).toBe(true);
    expect(
      q1Items
        .filter((i) => i.kind === "answer")
        .every((i) => !i.private && i.verdict === "unscored"),
    ).toBe(true);
    expect(surveys.map((s) => s.attitude).slice(0, 3)).toEqual([7, 2, 5]);
  });

  it("keeps each question's accepted answers from its answer events: the key, [] for a topic, null when absent", () => {
    const [q0, q1] = debateState(final).questions;
    expect(q0!.accepted).toEqual(["42"]);
    expect(q1!.accepted).toEqual([]);
    // A log written before answers carried the key (or a judge-only question) has none to show.
    const keyless = events.map((e) =>
      e.type === "interaction" && e.kind === "answer"
        ? { ...e, data: { ...e.data, accepted: undefined } }
        : e,
    );
    expect(debateState(reduceAll(keyless)).questions.map((q) => q.accepted)).toEqual([null, null]);
    // The key is read once, from the first answer that carries it; later ones do not replace it.
    const first = debateState(final).questions[0]!.entries.find((e) => e.kind === "answer")!;
    const later = { ...first, seq: 10_000, data: { ...first.data, accepted: ["41"] } };
    expect(deriveDebate(debateState(final), [later]).questions[0]!.accepted).toEqual(["42"]);
  });

  it("tells an unreadable answer (scored wrong) from an undecided judge and an unscored topic", () => {
    expect(verdictOf(null, false)).toBe("unreadable");
    expect(verdictOf(null, null)).toBe("undecided");
    expect(verdictOf("41", false)).toBe("wrong");
    expect(verdictOf("for", null)).toBe("unscored");
    const unreadable = debateState(final).questions[0]!.entries.find(
      (e) => e.kind === "answer" && e.from === "g1-a3",
    )!;
    expect(debateView.describeInteraction(unreadable)).toContain("(unreadable)");
    expect(ANSWER_COLORS.unreadable).toBeDefined();
    expect(new Set(Object.values(ANSWER_COLORS)).size).toBe(Object.keys(ANSWER_COLORS).length);
  });

  it("reads a JSON reply (MAD's judge) as key: value lines and leaves other text alone", () => {
    expect(
      readableText(
        '{"Whether there is a preference":"Yes","Supported Side":"affirmative","debate_answer":"40"}',
      ),
    ).toBe("Whether there is a preference: Yes\nSupported Side: affirmative\ndebate_answer: 40");
    expect(readableText("{not json}")).toBe("{not json}");
    expect(readableText("[1, 2]")).toBe("[1, 2]");
    expect(readableText("Answer: 42")).toBe("Answer: 42");
  });

  it("filters the chat to what one agent said or was sent", () => {
    const q0 = debateState(final).questions[0]!;
    const mine = chatRounds(q0, "g1-a2").flatMap((r) => r.items);
    expect(mine.map((i) => `${i.kind}:${i.from}->${i.to}`)).toEqual([
      "answer:g1-a2->null",
      "summary:summariser->g1-a2",
      "answer:g1-a2->null",
      "answer:g1-a2->null",
    ]);
    const judge = chatRounds(q0, "judge").flatMap((r) => r.items);
    expect(judge.map((i) => i.kind)).toEqual(["judge", "judge"]);
  });

  it("colours each debater by its answer to the question being debated, at the viewed time", () => {
    const colour = (state: ReturnType<typeof reduceAll>) =>
      DEBATERS.map((id) => debateView.nodeCategory!(state.agents[id]!, state));
    // g1-a3's answer could not be read: its own colour, counted wrong like the round's accuracy
    // (1/3) does.
    expect(colour(stateAfter(isRoundMetric(0, 0)))).toEqual(["right", "wrong", "unreadable"]);
    expect(colour(stateAfter(isRoundMetric(0, 1)))).toEqual(["right", "right", "wrong"]);
    expect(colour(stateAfter(isRoundMetric(0, 2)))).toEqual(["right", "right", "right"]);
    // The first answer to the next question: the others have not answered it yet.
    const firstTopicAnswer = stateAfter(
      (e) => e.type === "interaction" && e.kind === "answer" && e.t.question === 1,
    );
    expect(colour(firstTopicAnswer)).toEqual(["answer for", "undecided", "undecided"]);
    expect(answerCategory("nobody", debateState(final))).toBe("undecided");
    expect(colour(final)).toEqual(["answer for", "answer for", "answer for"]);
    // The tooltip says what the debater answered.
    expect(debateView.nodeTooltip!(final.agents["g1-a2"]!, final)).toContain("“for”");
  });

  it("keeps judge and summariser off the graph, with their roles, and never flashes", () => {
    expect(final.slots).toEqual(DEBATERS);
    expect(final.agents.judge!.role).toBe("judge");
    expect(final.agents.summariser!.role).toBe("summariser");
    expect(final.agents["g1-a1"]!.role).toBe("debater");
    expect(final.slots.includes("judge")).toBe(false);
    const summary = debateState(final).questions[0]!.entries.find((e) => e.kind === "summary")!;
    expect(debateView.interactionStyle(summary)).toBeNull();
    expect(debateView.describeInteraction(summary, "to")).toContain("summary from summariser");
  });

  it("draws attitude lines per debater over rounds and round metrics per question", () => {
    const q1 = debateState(final).questions[1]!;
    expect(attitudeSeries(q1)).toEqual({
      agents: DEBATERS,
      rounds: [0, 1, 2],
      values: [
        [7, 6, 5],
        [2, 3, 5],
        [5, 5, 5],
      ],
    });
    expect(attitudeSeries(debateState(final).questions[0]!).agents).toEqual([]);
    const byRound = questionRounds(final.roundMetrics, 0);
    expect(byRound.rounds).toEqual([0, 1, 2]);
    expect(byRound.accuracy).toEqual([1 / 3, 2 / 3, 1]);
    const perQ = perQuestion(final.roundMetrics);
    expect(perQ.questions).toEqual([1, 2]);
    expect(perQ.first).toEqual([1 / 3, null]);
    expect(perQ.last).toEqual([1, null]);
    expect(perQ.agreement).toEqual([1, 1]);
    // Generation charts keep only the keys the run reports; the per-question round chart replaces
    // the generic one.
    const charts = debateView.generationCharts(["accuracy", "agreement", "attitudeMean"]);
    expect(charts.map((c) => [c.id, c.series.map((s) => s.key)])).toEqual([
      ["debate-accuracy", ["accuracy"]],
      ["debate-agreement", ["agreement"]],
      ["debate-attitude", ["attitudeMean"]],
    ]);
    expect(debateView.roundChart(["accuracy"])).toBeNull();
  });
});

describe("debate view: the fold is pure, bounded and batching-independent", () => {
  it("scrubs: the derived state at any seq equals a from-scratch replay up to it", () => {
    const timeline = new Timeline({ snapshotEvery: 7, minSnapshotGap: 1 });
    for (let i = 0; i < events.length; i += 5) timeline.append(events.slice(i, i + 5));
    for (let k = 0; k < events.length; k += 3)
      expect(timeline.stateAt(k).scenario, `seq ${k}`).toEqual(
        reduceAll(events.slice(0, k + 1)).scenario,
      );
  });

  it("gives the same derived state whatever the batching, without mutating earlier states", () => {
    let oneByOne = initialState();
    const snapshots: string[] = [];
    const states = [];
    for (const e of events) {
      oneByOne = reduce(oneByOne, [e]);
      states.push(oneByOne);
      snapshots.push(JSON.stringify(oneByOne.scenario));
    }
    expect(oneByOne.scenario).toEqual(final.scenario);
    // Every intermediate state still holds what it held when it was made.
    states.forEach((s, i) => expect(JSON.stringify(s.scenario)).toBe(snapshots[i]));
    // A batch without debate interactions keeps the derived state by reference.
    const before = reduceAll(events.slice(0, events.length - 2));
    const after = reduce(before, events.slice(events.length - 2));
    expect(after.scenario).toBe(before.scenario);
  });

  it("keeps the last MAX_QUESTIONS questions and MAX_ENTRIES entries per question", () => {
    const entry = (seq: number, question: number): InteractionEntry => ({
      seq,
      at: "",
      kind: "answer",
      from: "a",
      to: null,
      mind: { kind: "policy", name: "p" },
      t: { generation: 1, question, round: 0 },
      data: { questionId: `q${question}`, answer: "1", correct: true, text: "t", round: 0 },
    });
    const many = Array.from({ length: MAX_QUESTIONS + 50 }, (_, i) => entry(i, i));
    const d = deriveDebate(undefined, many);
    expect(d.questions).toHaveLength(MAX_QUESTIONS);
    expect(d.droppedQuestions).toBe(50);
    expect(d.questions[0]!.key).toBe("1:50");
    const long = deriveDebate(
      undefined,
      Array.from({ length: MAX_ENTRIES + 7 }, (_, i) => entry(i, 0)),
    );
    expect(long.questions[0]!.entries).toHaveLength(MAX_ENTRIES);
    expect(long.questions[0]!.dropped).toBe(7);
    // Other scenarios' interactions are ignored.
    expect(deriveDebate(d, [{ ...entry(999, 3), kind: "donation" }])).toBe(d);
  });
});
