import type { FitRule } from "../../sim/core/minds.js";
import type { ChatMessage } from "../../sim/core/minds.js";
import type { MindSpec } from "../../sim/core/minds.js";
import type { StepContext } from "../../sim/core/scenario.js";
import { isCorrect } from "./answers.js";
import type { DebateConfig } from "./config.js";
import type { Acted, AnswerState, JudgeState } from "./policies.js";
import type { Question } from "./questions.js";
import { READERS } from "./replies.js";
import { ANSWER_SCHEMA, JUDGE_FINAL_SCHEMA, JUDGE_ROUND_SCHEMA } from "./schemas.js";

/** Population and per-generation state of the debate scenario, shared by its setups. */

export interface Debater {
  id: string;
  generation: number;
  /** The graph node it occupies. */
  slot: string;
  parents: string[];
  mind: MindSpec;
  label?: string;
  persona?: string;
  trait?: string;
  /**
   * Debating advice (generations): written by an LLM from survivors' advice, or a policy's
   * description.
   */
  advice?: string;
  /** Its agent-created event has been emitted. */
  announced: boolean;
}

/** A judge or summariser: an agent with a role, not a graph node. */
export interface RoleAgent {
  id: string;
  role: "judge" | "summariser";
  mind: MindSpec;
  announced: boolean;
}

/** JSON: what a checkpoint saves between generations. */
export interface DebatePopulation {
  debaters: Debater[];
  roles: RoleAgent[];
  /** The advice and accuracy of the last selection's survivors, for newcomers to learn from. */
  survivors: { id: string; advice: string; accuracy: number | null }[] | null;
}

export type AnswerPattern = "initial" | "debate" | "reflection" | "argument" | "sample";

export interface Reply {
  agentId: string;
  round: number;
  pattern: AnswerPattern;
  side?: string;
  /** What later prompts show of this turn: the reply, or NO_REPLY when there was no text. */
  text: string;
  /**
   * Normalised answer (the vote key), null when none could be read (counted as answersUnreadable).
   */
  answer: string | null;
  correct: boolean | null;
  sawFrom: string[];
  /** Answers of the others' replies the prompt showed, for the survey policy. */
  seen: (string | null)[];
}

export interface Verdict {
  round: number;
  final: boolean;
  decided: boolean;
  side: string | null;
  answer: string | null;
  correct: boolean | null;
  /**
   * False for a ruling that could not be used (no reply, or nothing readable; see parseJudge):
   * counted as judgeUnusable.
   */
  usable: boolean;
}

export interface QuestionRun {
  index: number;
  q: Question;
  /** Replies by round played, each in speaking order. */
  rounds: { round: number; replies: Reply[] }[];
  latest: Map<string, Reply>;
  verdicts: Verdict[];
  /**
   * Each debater's conversation so far (its last prompt and reply) and whose texts it held, for
   * `memory: full`.
   */
  conversations: Map<string, { messages: () => ChatMessage[]; sawFrom: string[] }>;
  /** Attitudes per debater, one per survey (null: unusable reply). */
  attitudes: Map<string, (number | null)[]>;
  /** Summaries that could not be used (no reply, or an empty one). */
  summariesUnusable: number;
  /**
   * Compat mad-released: final judge's candidates replies that could not be used (no reply, or an
   * empty one), counted in judgeUnusable with its unusable rulings.
   */
  candidatesUnusable: number;
  done: boolean;
}

export interface DebateWork {
  questions: QuestionRun[];
  /** Advice replies of this generation that could not be used (see parseAdvice). */
  adviceUnusable: number;
}

export type Ctx = StepContext<DebateConfig>;

export const scoreOf = (answer: string | null, q: Question): boolean | null =>
  q.answers.length === 0 ? null : isCorrect(answer, q);

export const lastAttitude = (qr: QuestionRun, id: string): number | null =>
  qr.attitudes.get(id)?.at(-1) ?? null;

/**
 * What prompts show for a turn that produced no text (no reply came, the prompt not fitting the
 * model's context, or the reply was empty), so that no message of a later prompt is ever empty.
 */
const NO_REPLY = "(no reply)";

export const shownText = (text: string | null): string =>
  text === null || text.trim() === "" ? NO_REPLY : text;

/**
 * The fit rule of prompts that hold only the latest turns (nothing older to drop): a prompt that
 * does not fit the profile's contextWindow is not sent, and the call counts as unusable.
 */
export const keepWhole: FitRule = () => null;

type AskRequest = Parameters<Ctx["ask"]>[0];

/**
 * A prompt built on first use only: not at all on a policy's fast path, and once on the text path
 * however many later prompts (`memory: full`) repeat it.
 */
export function lazyPrompt(build: () => ChatMessage[]): () => ChatMessage[] {
  let built: ChatMessage[] | undefined;
  return () => (built ??= build());
}

/**
 * A mind's reply (null: none came) and the scenario's reading of it (`none` for no reply). A
 * policy's fast path gives both without a prompt; otherwise the prompt is built now, the mind asked
 * and the reply read by the same reader.
 */
export async function replyOf<S, R>(
  ctx: Ctx,
  request: Omit<AskRequest, "messages" | "state"> & { state: S; messages: () => ChatMessage[] },
  read: (state: S, text: string) => R,
  none: R,
): Promise<{ text: string | null; reading: R }> {
  const fast = ctx.act<Acted<R>>(request);
  if (fast) return fast.value;
  const text = await ctx.ask({ ...request, messages: request.messages() });
  return { text, reading: text === null ? none : read(request.state, text) };
}

/** One debater's turn: ask its mind, read the answer, record the `answer` interaction. */
export async function speak(
  ctx: Ctx,
  debater: Debater,
  qr: QuestionRun,
  turn: {
    round: number;
    pattern: AnswerPattern;
    side?: string;
    /** The prompt, built only when the mind is asked (not on a policy's fast path). */
    messages: () => ChatMessage[];
    sawFrom: string[];
    own: Reply | undefined;
    seen: (string | null)[];
    fit?: FitRule;
  },
): Promise<Reply> {
  const state: AnswerState = {
    question: qr.q,
    reading: ctx.config.answerReading,
    own: turn.own?.answer ?? null,
    seen: turn.seen,
    attitude: lastAttitude(qr, debater.id),
  };
  // No reply (null) is read like a reply without an answer: unreadable, never re-asked.
  const { text, reading: answer } = await replyOf(
    ctx,
    {
      agentId: debater.id,
      mind: debater.mind,
      purpose: "answer",
      messages: turn.messages,
      state,
      rng: ctx.rng("mind", debater.id, ctx.generation, qr.index, turn.round, "answer"),
      t: { question: qr.index, round: turn.round },
      fit: turn.fit ?? keepWhole,
      schema: ANSWER_SCHEMA,
    },
    READERS.answer,
    null,
  );
  const reply: Reply = {
    agentId: debater.id,
    round: turn.round,
    pattern: turn.pattern,
    ...(turn.side ? { side: turn.side } : {}),
    text: shownText(text),
    answer,
    correct: scoreOf(answer, qr.q),
    sawFrom: turn.sawFrom,
    seen: turn.seen,
  };
  ctx.emit({
    type: "interaction",
    t: { generation: ctx.generation, question: qr.index, round: turn.round },
    kind: "answer",
    from: debater.id,
    to: null,
    mind: ctx.mindInfo(debater.mind),
    data: {
      questionId: qr.q.id,
      questionText: qr.q.question,
      round: turn.round,
      pattern: turn.pattern,
      ...(turn.side ? { side: turn.side } : {}),
      answer,
      correct: reply.correct,
      // The key travels with every answer (not only the first) so a viewer joining mid-question can
      // show it.
      accepted: qr.q.answers,
      // As received: null when no reply came.
      text,
      sawFrom: turn.sawFrom,
    },
  });
  return reply;
}

/** Asks the judge, reads its JSON and records the `judge` interaction. */
export async function judgeTurn(
  ctx: Ctx,
  judge: RoleAgent,
  qr: QuestionRun,
  turn: {
    round: number;
    final: boolean;
    /** The prompt, built only when the mind is asked (not on a policy's fast path). */
    messages: () => ChatMessage[];
    state: JudgeState;
    closesOnDecision?: boolean;
    fit?: FitRule;
    /** More to record on the `judge` interaction (MAD's released final judge: its candidates). */
    data?: Record<string, unknown>;
  },
): Promise<Verdict & { text: string | null }> {
  const { text, reading: parsed } = await replyOf(
    ctx,
    {
      agentId: judge.id,
      mind: judge.mind,
      purpose: "judge",
      messages: turn.messages,
      state: turn.state,
      rng: ctx.rng(
        "mind",
        judge.id,
        ctx.generation,
        qr.index,
        turn.round,
        turn.final ? "final" : "round",
      ),
      t: { question: qr.index, round: turn.round },
      // MAD's round ruling and final judgement come in the same round: two calls, two samples.
      item: turn.final ? "final" : "round",
      fit: turn.fit ?? keepWhole,
      schema: turn.final ? JUDGE_FINAL_SCHEMA : JUDGE_ROUND_SCHEMA,
    },
    READERS.judge,
    { decided: false, side: null, answer: null, usable: false },
  );
  // A ruling that names a side but no answer takes that side's answer.
  const reading =
    parsed.decided && parsed.answer === null && parsed.side !== null
      ? { ...parsed, answer: turn.state.sides.find((x) => x.side === parsed.side)?.answer ?? null }
      : parsed;
  // A round's decision under the adaptive break is the debate's final one.
  const final = turn.final || (turn.closesOnDecision === true && reading.decided);
  const verdict: Verdict = {
    round: turn.round,
    final,
    ...reading,
    correct: reading.decided ? scoreOf(reading.answer, qr.q) : null,
  };
  qr.verdicts.push(verdict);
  ctx.emit({
    type: "interaction",
    t: { generation: ctx.generation, question: qr.index, round: turn.round },
    kind: "judge",
    from: judge.id,
    to: null,
    mind: ctx.mindInfo(judge.mind),
    data: {
      questionId: qr.q.id,
      round: turn.round,
      final,
      decided: verdict.decided,
      side: verdict.side,
      answer: verdict.answer,
      correct: verdict.correct,
      usable: verdict.usable,
      text,
      ...turn.data,
    },
  });
  // The reply itself too, for a judge whose later prompts hold its earlier rulings.
  return { ...verdict, text };
}

export const roleOf = (
  population: DebatePopulation,
  role: RoleAgent["role"],
): RoleAgent | undefined => population.roles.find((r) => r.role === role);
