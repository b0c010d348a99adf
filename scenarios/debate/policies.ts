import { z } from "zod";
import type {
  PolicyAct,
  PolicyDecide,
  PolicyDefinition,
  PolicyRegistry,
} from "../../sim/core/minds.js";
import type { Rng } from "../../sim/core/rng.js";
import { mean } from "../../sim/toolkit/stats.js";
import { type AnswerReading, normalizeAnswer } from "./answers.js";
import { vote } from "./metrics.js";
import type { Question } from "./questions.js";
import { type Purpose, READERS } from "./replies.js";

/**
 * Offline, seeded debate minds. They decide from the simulation state the scenario hands over
 * (never from the prompt text) and answer in the text form an LLM is asked for, so the same
 * readers (readAnswer, parseJudge, parseAttitude) serve both. Their fast path (`act`) gives that
 * text and its reading without a prompt: events record the text, so it is still written.
 */

/**
 * A debater's turn: the item (with its accepted answer and trap), its own latest answer and the
 * answers it was shown.
 */
export interface AnswerState {
  question: Question;
  /** How the reply is read (`debate.answerReading`). */
  reading: AnswerReading;
  /** The agent's own latest normalised answer, null before its first. */
  own: string | null;
  /** The normalised answers of the replies in its prompt (others only), in prompt order. */
  seen: (string | null)[];
  /** Its latest private attitude (persona debates), null before the first survey. */
  attitude: number | null;
}

export interface SurveyState {
  attitude: number | null;
  reading: AnswerReading;
  /** Public stances the agent was shown in the round just ended. */
  seen: (string | null)[];
}

export interface JudgeState {
  question: Question;
  final: boolean;
  sides: { side: string; answer: string | null; previous: string | null }[];
  /** What makes a round ruling a decision (parseJudge); absent: its preference. */
  decideBy?: "preference" | "answer";
}

export interface SummaryState {
  others: { id: string; answer: string | null }[];
}

export interface AdviceState {
  reading: AnswerReading;
}

/** What a debate policy's fast path gives: its reply (events record it) and the reading of it. */
export interface Acted<R> {
  text: string;
  reading: R;
}

/**
 * Readings of policies' answers per question: policies write only a few distinct answers to a
 * question, so each is read once (the reader is a pure function of question, reading and text).
 */
const answerReadings = new WeakMap<Question, Map<string, string | null>>();

function readAnswerOnce(state: AnswerState, text: string): string | null {
  let readings = answerReadings.get(state.question);
  if (!readings) answerReadings.set(state.question, (readings = new Map()));
  const key = `${state.reading}\n${text}`;
  let answer = readings.get(key);
  if (answer === undefined) readings.set(key, (answer = READERS.answer(state, text)));
  return answer;
}

/** The fast path of a policy deciding by `decide`: the same text, read as the scenario reads it. */
function acting(decide: PolicyDecide): PolicyAct {
  return (input) => {
    const text = decide(input);
    if (input.purpose === "answer")
      return { text, reading: readAnswerOnce(input.state as AnswerState, text) };
    const read = READERS[input.purpose as Purpose] as
      ((state: unknown, text: string) => unknown) | undefined;
    if (!read) throw new Error(`debate policies: no reader for purpose "${input.purpose}"`);
    return { text, reading: read(input.state, text) } satisfies Acted<unknown>;
  };
}

const unit = z.number().min(0).max(1);

/**
 * Independent mutation of each numeric parameter, clipped to its range (shared by all debate
 * policies).
 */
function mutator<P extends Record<string, unknown>>(
  schema: z.ZodType<P>,
  ranges: Record<string, [number, number]>,
): NonNullable<PolicyDefinition<P>["mutate"]> {
  return (params, rng, { rate, sd }) => {
    const out: Record<string, unknown> = { ...params };
    for (const [key, value] of Object.entries(params)) {
      const range = ranges[key];
      if (typeof value !== "number" || !range || !rng.bool(rate)) continue;
      const [lo, hi] = range;
      out[key] = Math.min(hi, Math.max(lo, value + sd * (hi - lo) * rng.normal()));
    }
    return schema.parse(out);
  };
}

/** The answer seen most often, if exactly one answer has the top count (the metrics' vote). */
function modal(answers: readonly (string | null)[]): { answer: string; count: number } | null {
  const { answer, count } = vote(answers);
  return answer === null ? null : { answer, count };
}

/**
 * A plausible wrong answer: the trap, else a near miss (a number off by 1 or 2, another choice).
 */
function wrongAnswer(q: AnswerState["question"], rng: Rng): string {
  if (q.trap !== undefined) return q.trap;
  if (q.choices && q.choices.length > 1) {
    const right = normalizeAnswer(q.answers[0] ?? "", q as Question);
    const letters = q.choices.map((_, i) => String.fromCharCode(65 + i)).filter((l) => l !== right);
    return rng.pick(letters);
  }
  // Percentage questions normalise to keys like "60%": miss by points and keep the sign.
  const key = normalizeAnswer(q.answers[0] ?? "", q as Question) ?? "";
  const percent = key.endsWith("%");
  const value = Number(percent ? key.slice(0, -1) : key);
  if (key !== "" && Number.isFinite(value))
    return `${value + rng.pick([-2, -1, 1, 2])}${percent ? "%" : ""}`;
  return "I do not know";
}

const solverParams = z
  .object({
    /** Probability of solving an item right when answering on its own. */
    accuracy: unit.default(0.7),
    /**
     * Probability of switching to the answer most of the shown replies give (plurality), whatever
     * it is.
     */
    conformity: unit.default(0),
    /** Probability of keeping its own answer whatever it is shown. */
    stubbornness: unit.default(0),
    /** Probability of adopting an answer held by a strict majority of the shown replies. */
    persuadability: unit.default(0.5),
  })
  .strict();
type SolverParams = z.infer<typeof solverParams>;

function solve(state: AnswerState, p: SolverParams, rng: Rng): { answer: string; why: string } {
  const q = state.question;
  if (q.answers.length === 0)
    return { answer: "undecided", why: "solver policy: an open question has nothing to solve." };
  return rng.bool(p.accuracy)
    ? { answer: q.answers[0]!, why: "solver policy: solved it." }
    : { answer: wrongAnswer(q, rng), why: "solver policy: fell for a wrong answer." };
}

/**
 * Keeps, follows a majority, conforms, or keeps: in that order of checks (documented in the
 * README).
 */
function update(
  own: string,
  seen: readonly (string | null)[],
  p: SolverParams,
  rng: Rng,
): { answer: string; why: string } {
  if (rng.bool(p.stubbornness))
    return { answer: own, why: "solver policy: stubborn, kept its answer." };
  const top = modal(seen);
  if (top && top.answer !== own) {
    if (top.count * 2 > seen.length && rng.bool(p.persuadability))
      return { answer: top.answer, why: "solver policy: persuaded by the majority." };
    if (rng.bool(p.conformity))
      return { answer: top.answer, why: "solver policy: conformed to the most common answer." };
  }
  return { answer: own, why: "solver policy: kept its answer." };
}

const solver: PolicyDefinition<SolverParams> = {
  paramsSchema: solverParams,
  describe: (p) =>
    `My advice: solve each question yourself (policy: right with probability ${p.accuracy}); keep your answer with probability ${p.stubbornness}, follow a clear majority with probability ${p.persuadability}, conform to the most common answer with probability ${p.conformity}.`,
  decide: ({ purpose, state, params, rng }) => {
    const p = params as SolverParams;
    if (purpose === "advice") return solver.describe(p);
    if (purpose === "survey") return `Attitude: ${(state as SurveyState).attitude ?? 5}`;
    if (purpose === "summary") return summaryText(state as SummaryState);
    const s = state as AnswerState;
    // A first answer is solved alone, then (MAD's negative opening) updated on what is shown.
    let turn = s.own === null ? solve(s, p, rng) : { answer: s.own, why: "" };
    if (s.own !== null || s.seen.length > 0) turn = update(turn.answer, s.seen, p, rng);
    return `${turn.why}\nAnswer: ${turn.answer}`;
  },
  act: acting((input) => solver.decide(input)),
  mutate: mutator(solverParams, {
    accuracy: [0, 1],
    conformity: [0, 1],
    stubbornness: [0, 1],
    persuadability: [0, 1],
  }),
};

const partisanParams = z
  .object({
    /** The persona's attitude before the debate, 0-10. */
    attitude: z.number().min(0).max(10).default(5),
    /** Share of the gap to the shown stances' mean that each survey moves. */
    persuadability: unit.default(0.3),
    /** Standard deviation of each survey's noise, in scale points. */
    noise: z.number().min(0).max(5).default(0),
  })
  .strict();
type PartisanParams = z.infer<typeof partisanParams>;

const STANCE_VALUE: Record<string, number> = { agree: 10, neutral: 5, disagree: 0 };

const stanceOf = (attitude: number): string =>
  attitude >= 6 ? "agree" : attitude <= 4 ? "disagree" : "neutral";

const partisan: PolicyDefinition<PartisanParams> = {
  paramsSchema: partisanParams,
  describe: (p) =>
    `My advice: argue from your own side (policy: attitude ${p.attitude}/10, moves ${p.persuadability} of the way toward the stances it hears).`,
  decide: ({ purpose, state, params, rng }) => {
    const p = params as PartisanParams;
    if (purpose === "advice") return partisan.describe(p);
    if (purpose === "summary") return summaryText(state as SummaryState);
    if (purpose === "survey") {
      const s = state as SurveyState;
      if (s.attitude === null) return `Attitude: ${Math.round(p.attitude)}`;
      const heard = s.seen.flatMap((a) =>
        a !== null && a in STANCE_VALUE ? [STANCE_VALUE[a]!] : [],
      );
      const target = mean(heard) ?? s.attitude;
      const next = s.attitude + p.persuadability * (target - s.attitude) + p.noise * rng.normal();
      return `Attitude: ${Math.min(10, Math.max(0, Math.round(next)))}`;
    }
    const s = state as AnswerState;
    const stance = stanceOf(s.attitude ?? p.attitude);
    return `partisan policy: I argue from my side of the statement.\nAnswer: ${stance}`;
  },
  act: acting((input) => partisan.decide(input)),
  mutate: mutator(partisanParams, { attitude: [0, 10], persuadability: [0, 1], noise: [0, 5] }),
};

const judgeParams = z
  .object({
    /**
     * "majority": decide for an answer a strict majority of sides hold; "held": for the one side
     * that kept its answer.
     */
    rule: z.enum(["majority", "held"]).default("majority"),
  })
  .strict();
type JudgeParams = z.infer<typeof judgeParams>;

/** The judge's JSON, in the format MAD's moderator is asked for. */
export function judgeJson(
  decided: boolean,
  side: string | null,
  answer: string | null,
  reason: string,
): string {
  return JSON.stringify({
    "Whether there is a preference": decided ? "Yes" : "No",
    "Supported Side": side ?? "",
    Reason: reason,
    debate_answer: answer ?? "",
  });
}

function judgeDecision(
  s: JudgeState,
  rule: JudgeParams["rule"],
): { side: string; answer: string | null; reason: string } | null {
  const held = s.sides.filter((x) => x.answer !== null && x.answer === x.previous);
  const top = modal(s.sides.map((x) => x.answer));
  const majority = top && top.count * 2 > s.sides.length ? top : null;
  // Of the sides giving an answer, the one that held it (it persuaded the others), else the first.
  const bySide = (answer: string) =>
    s.sides.find((x) => x.answer === answer && x.previous === answer) ??
    s.sides.find((x) => x.answer === answer)!;
  if (rule === "held" && held.length === 1)
    return {
      side: held[0]!.side,
      answer: held[0]!.answer,
      reason: "judge policy: the only side that held its answer.",
    };
  if (rule === "majority" && majority)
    return {
      side: bySide(majority.answer).side,
      answer: majority.answer,
      reason: "judge policy: a majority of sides agree.",
    };
  if (!s.final) return null;
  // The final judge always picks: the plurality answer, else a side that held, else the first side.
  if (top)
    return {
      side: bySide(top.answer).side,
      answer: top.answer,
      reason: "judge policy: the most common answer.",
    };
  const fallback = held[0] ?? s.sides[0]!;
  return {
    side: fallback.side,
    answer: fallback.answer,
    reason: "judge policy: no majority; the first side that held its answer.",
  };
}

const judge: PolicyDefinition<JudgeParams> = {
  paramsSchema: judgeParams,
  describe: (p) =>
    `Judge policy: ${p.rule === "majority" ? "decides for the answer most sides give" : "decides for the side that held its answer"}.`,
  decide: ({ purpose, state, params }) => {
    if (purpose === "candidates") return candidatesText(state as JudgeState);
    if (purpose !== "judge") return judge.describe(params as JudgeParams);
    const decision = judgeDecision(state as JudgeState, (params as JudgeParams).rule);
    return decision
      ? judgeJson(true, decision.side, decision.answer, decision.reason)
      : judgeJson(false, null, null, "judge policy: no side is preferred yet.");
  },
  act: acting((input) => judge.decide(input)),
  mutate: (params) => params,
};

/** MAD's released final judge's first turn: the distinct answers the sides give. */
function candidatesText(state: JudgeState): string {
  const answers = [...new Set(state.sides.map((x) => x.answer ?? "no clear answer"))];
  return `Answer candidates: ${answers.join("; ")}.`;
}

function summaryText(state: SummaryState): string {
  const groups = new Map<string, string[]>();
  for (const o of state.others) {
    const key = o.answer ?? "no clear answer";
    groups.set(key, [...(groups.get(key) ?? []), o.id]);
  }
  return `The other agents' answers: ${[...groups.entries()].map(([answer, ids]) => `${answer} (${ids.join(", ")})`).join("; ")}.`;
}

const summariser: PolicyDefinition<Record<string, never>> = {
  paramsSchema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  describe: () => "Summariser policy: lists each answer with the agents that gave it.",
  decide: ({ state }) => summaryText(state as SummaryState),
  act: acting((input) => summariser.decide(input)),
  mutate: (params) => params,
};

export const DEBATE_POLICIES: PolicyRegistry = { solver, partisan, judge, summariser };
