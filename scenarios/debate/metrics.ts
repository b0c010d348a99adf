import { pricedCost, type Totals } from "../../sim/core/spend.js";
import { mean } from "../../sim/toolkit/stats.js";
import type { Pattern } from "./config.js";
import type { QuestionRun, Reply } from "./work.js";

/**
 * Round and generation metrics of the debate scenario; every key is documented in README.md
 * ("Metrics").
 */

type Values = Record<string, number | null>;

const present = <T>(xs: readonly (T | null)[]): T[] => xs.filter((x): x is T => x !== null);

/**
 * What a tied vote gives: no majority answer ("none", Agora's), or the tied answer given first in
 * population order ("first": Du et al.'s most_frequent in gsm/eval_gsm.py, `debate.compat: du`).
 */
export type TieRule = "none" | "first";

/**
 * The vote over answers: the modal answer, its count, whether the top count is shared (a tie).
 * Unreadable answers do not vote.
 */
export function vote(
  answers: readonly (string | null)[],
  ties: TieRule = "none",
): {
  answer: string | null;
  count: number;
  tie: boolean;
  distinct: number;
} {
  const counts = new Map<string, number>();
  for (const a of present(answers)) counts.set(a, (counts.get(a) ?? 0) + 1);
  // A stable sort of answers in order of first appearance: of equal counts the first given leads.
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const top = ranked[0];
  if (!top) return { answer: null, count: 0, tie: false, distinct: 0 };
  const tie = ranked.length > 1 && ranked[1]![1] === top[1];
  return {
    answer: tie && ties === "none" ? null : top[0],
    count: top[1],
    tie,
    distinct: ranked.length,
  };
}

const rate = (flags: readonly boolean[]): number | null => mean(flags.map((f) => (f ? 1 : 0)));

const readable = (replies: readonly Reply[]): Reply[] => replies.filter((r) => r.answer !== null);

/**
 * Accuracy, agreement, distinct answers and the vote of one round's replies. Unreadable answers are
 * left out of all of them (a round with none readable has no accuracy, agreement or majority) and
 * counted in `answersUnreadable`.
 */
export function roundValues(
  replies: readonly Reply[],
  scorable: boolean,
  ties: TieRule = "none",
): {
  accuracy: number | null;
  agreement: number | null;
  distinctAnswers: number;
  majorityCorrect: number | null;
  tie: number;
  answersUnreadable: number;
} {
  const read = readable(replies);
  const v = vote(
    read.map((r) => r.answer),
    ties,
  );
  const majority = v.answer === null ? null : read.find((r) => r.answer === v.answer)!;
  const scored = scorable && read.length > 0;
  return {
    accuracy: scored ? rate(read.map((r) => r.correct === true)) : null,
    agreement: read.length === 0 ? null : v.count / read.length,
    distinctAnswers: v.distinct,
    majorityCorrect: scored ? (majority?.correct ? 1 : 0) : null,
    tie: v.tie ? 1 : 0,
    answersUnreadable: replies.length - read.length,
  };
}

/** Attitudes of the latest survey, averaged over debaters. */
export const attitudeNow = (qr: QuestionRun): number | null =>
  mean(present([...qr.attitudes.values()].map((a) => a.at(-1) ?? null)));

/** What the round metric adds on a question's last round. */
export function finalValues(qr: QuestionRun, hasJudge: boolean): Values {
  const verdict = qr.verdicts.find((v) => v.final);
  return {
    final: 1,
    roundsUsed: qr.rounds.at(-1)!.round,
    // Null, like judgeAccuracy's exclusion, when the final ruling gave no readable answer.
    judgeCorrect:
      hasJudge && verdict?.answer != null && verdict.correct !== null
        ? verdict.correct
          ? 1
          : 0
        : null,
  };
}

interface Transition {
  before: Reply;
  after: Reply;
  majorityBefore: string | null;
}

/** Each debater's move from one round to the next, with the previous round's majority answer. */
function transitions(qr: QuestionRun): Transition[] {
  const out: Transition[] = [];
  for (let k = 1; k < qr.rounds.length; k++) {
    const previous = qr.rounds[k - 1]!.replies;
    const majorityBefore = vote(previous.map((r) => r.answer)).answer;
    for (const after of qr.rounds[k]!.replies) {
      const before = previous.find((r) => r.agentId === after.agentId);
      if (before) out.push({ before, after, majorityBefore });
    }
  }
  return out;
}

/**
 * MachineSoM's conformity (src/conformity_and_consistency.py: judge_conformity, situation 2, over
 * the rounds whose pattern is not reflection): of every debater's answer in such a round, the share
 * that is among the previous round's majority answers, i.e. the answers held by the most debaters
 * when at least two hold one (ties give several; all different gives none), its own previous
 * answer counted too, so keeping a majority answer conforms. An unreadable answer counts as one
 * answer, "none", as MachineSoM's str(None) does.
 */
function machinesomConformity(
  questions: readonly QuestionRun[],
  patterns: readonly Pattern[],
): number | null {
  const flags: boolean[] = [];
  for (const qr of questions) {
    for (let k = 1; k < qr.rounds.length; k++) {
      const { round, replies } = qr.rounds[k]!;
      if (patterns[round - 1] === "reflection") continue;
      const counts = new Map<string | null, number>();
      for (const r of qr.rounds[k - 1]!.replies)
        counts.set(r.answer, (counts.get(r.answer) ?? 0) + 1);
      const top = Math.max(...counts.values());
      const majority = new Set([...counts].filter(([, n]) => n === top && n >= 2).map(([a]) => a));
      for (const r of replies) flags.push(majority.has(r.answer));
    }
  }
  return rate(flags);
}

/**
 * Counts of what could not be used, besides the debaters' answers (which the replies themselves
 * tell).
 */
export interface UnusableCounts {
  /** Advice replies of the generation with no usable advice. */
  advice: number;
}

/** The generation's metrics over its questions (see README.md for each key). */
export function generationValues(
  questions: readonly QuestionRun[],
  opts: {
    hasJudge: boolean;
    mad: boolean;
    survey: boolean;
    spend: Totals;
    unusable: UnusableCounts;
    /** How a tied vote counts (`majorityAccuracy`, `ties` unchanged). */
    ties?: TieRule;
    /** Compat machinesom: the rounds' patterns, for `machinesomConformity`. */
    machinesomPatterns?: readonly Pattern[];
  },
): Values {
  const played = questions.filter((qr) => qr.rounds.length > 0);
  const scorable = played.filter((qr) => qr.q.answers.length > 0);
  // Each question's last-round values, worked out once for the keys below that read them.
  const lastRounds = new Map(
    played.map((qr) => [
      qr,
      roundValues(qr.rounds.at(-1)!.replies, qr.q.answers.length > 0, opts.ties),
    ]),
  );
  const finals = (qr: QuestionRun) => lastRounds.get(qr)!;
  const avg = (qs: readonly QuestionRun[], f: (qr: QuestionRun) => number | null) =>
    mean(present(qs.map(f)));
  const sum = (qs: readonly QuestionRun[], f: (qr: QuestionRun) => number) =>
    qs.reduce((n, qr) => n + f(qr), 0);

  const accuracy = avg(scorable, (qr) => finals(qr).accuracy);
  const majorityAccuracy = avg(scorable, (qr) => finals(qr).majorityCorrect);
  const finalVerdict = (qr: QuestionRun) => qr.verdicts.find((v) => v.final);
  const verdicts = played.map(finalVerdict).filter((v) => v !== undefined);
  // A final ruling with no readable answer is left out of judgeAccuracy (judgeExcluded), not scored
  // wrong.
  const judged = (qr: QuestionRun) => finalVerdict(qr)?.answer != null;
  const judgeAccuracy = opts.hasJudge
    ? avg(scorable.filter(judged), (qr) => (finalVerdict(qr)!.correct ? 1 : 0))
    : null;
  // The single-agent baseline inside the run: independent first answers (MAD: the affirmative's
  // opening).
  const firstAnswers = (qr: QuestionRun) =>
    opts.mad ? qr.rounds[0]!.replies.slice(0, 1) : qr.rounds[0]!.replies;
  const baselineAccuracy = avg(scorable, (qr) =>
    rate(readable(firstAnswers(qr)).map((r) => r.correct === true)),
  );
  const headline = opts.hasJudge ? judgeAccuracy : majorityAccuracy;

  // Moves from one round to the next; those to or from an unreadable answer are left out.
  const moves = played.flatMap(transitions);
  const readableMoves = moves.filter((m) => m.before.answer !== null && m.after.answer !== null);
  const scoredMoves = readableMoves.filter((m) => m.before.correct !== null);
  const chances = readableMoves.filter(
    (m) => m.majorityBefore !== null && m.before.answer !== m.majorityBefore,
  );

  const drift = played.flatMap((qr) =>
    [...qr.attitudes.values()].flatMap((a) =>
      a.length > 0 && a[0] != null && a.at(-1) != null ? [a.at(-1)! - a[0]] : [],
    ),
  );
  const cost = pricedCost(opts.spend);
  const perQuestion = (x: number | null) =>
    opts.spend.calls === 0 || x === null || played.length === 0 ? null : x / played.length;
  const replies = played.flatMap((qr) => qr.rounds.flatMap((r) => r.replies));

  return {
    accuracy,
    majorityAccuracy,
    judgeAccuracy,
    // Before the rest, so progress lines (the first non-null keys) show them for persona debates.
    attitudeMean: opts.survey ? avg(played, attitudeNow) : null,
    attitudeDrift: opts.survey ? mean(drift) : null,
    baselineAccuracy,
    gainOverBaseline:
      headline !== null && baselineAccuracy !== null ? headline - baselineAccuracy : null,
    agreement: avg(played, (qr) => finals(qr).agreement),
    distinctAnswers: avg(played, (qr) => finals(qr).distinctAnswers),
    ties: avg(played, (qr) => finals(qr).tie),
    conformity: rate(chances.map((m) => m.after.answer === m.majorityBefore)),
    ...(opts.machinesomPatterns
      ? { machinesomConformity: machinesomConformity(played, opts.machinesomPatterns) }
      : {}),
    rightToWrong: rate(
      scoredMoves.map((m) => m.before.correct === true && m.after.correct === false),
    ),
    wrongToRight: rate(
      scoredMoves.map((m) => m.before.correct === false && m.after.correct === true),
    ),
    roundsUsed: avg(played, (qr) => qr.rounds.at(-1)!.round),
    judgeAffirmativeShare: opts.mad
      ? rate(verdicts.filter((v) => v.side !== null).map((v) => v.side === "affirmative"))
      : null,
    tokensPerQuestion: perQuestion(opts.spend.tokensIn + opts.spend.tokensOut),
    costPerQuestion: perQuestion(cost),
    questions: played.length,
    // What each measure above left out, then every count of unusable replies
    // (Scenario.unusableCounts);
    // all plain counts, 0 where the setup makes no such call.
    accuracyExcluded: sum(scorable, (qr) => finals(qr).answersUnreadable),
    baselineExcluded: sum(
      scorable,
      (qr) => firstAnswers(qr).length - readable(firstAnswers(qr)).length,
    ),
    agreementExcluded: sum(played, (qr) => finals(qr).answersUnreadable),
    conformityExcluded: moves.length - readableMoves.length,
    judgeExcluded: opts.hasJudge ? scorable.filter((qr) => !judged(qr)).length : 0,
    answersUnreadable: replies.filter((r) => r.answer === null).length,
    judgeUnusable: sum(
      played,
      (qr) => qr.verdicts.filter((v) => !v.usable).length + qr.candidatesUnusable,
    ),
    surveysUnusable: sum(
      played,
      (qr) => [...qr.attitudes.values()].flat().filter((a) => a === null).length,
    ),
    summariesUnusable: sum(played, (qr) => qr.summariesUnusable),
    adviceUnusable: opts.unusable.advice,
  };
}

/**
 * The generation metrics that count unusable replies: the progress line and the run summary name
 * each one not zero.
 */
export const UNUSABLE_COUNTS = [
  "answersUnreadable",
  "judgeUnusable",
  "surveysUnusable",
  "summariesUnusable",
  "adviceUnusable",
] as const;
