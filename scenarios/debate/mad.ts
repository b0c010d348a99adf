import type { FitRule } from "../../sim/core/minds.js";
import type { ChatMessage } from "../../sim/core/minds.js";
import type { JudgeState } from "./policies.js";
import {
  judgeFinalPrompt,
  judgeRoundPrompt,
  judgeSystemPrompt,
  madReleasedPrompt,
  madReleasedTopic,
  madSystemPrompt,
  madTurnPrompt,
} from "./prompts.js";
import { READERS } from "./replies.js";
import {
  type Ctx,
  type DebatePopulation,
  type Debater,
  type QuestionRun,
  type Reply,
  judgeTurn,
  keepWhole,
  lazyPrompt,
  replyOf,
  roleOf,
  shownText,
  speak,
} from "./work.js";

/**
 * MAD (Liang et al. 2023, Skytliang/Multi-Agents-Debate): sides speak in order each round, each
 * seeing only the latest argument of the side before it (the affirmative, from round 2 on, the
 * last side's); a judge rules after every round and the debate stops when it prefers a side
 * (adaptive break), else a final judgement over all arguments follows the last round. Under
 * `debate.compat: mad-released` a round follows the released code instead (`releasedRound`).
 */

export const MAD_SIDES = ["affirmative", "negative", "third", "fourth"] as const;

export const sidesFor = (count: number): string[] => MAD_SIDES.slice(0, count);

export async function madRound(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
): Promise<void> {
  const config = ctx.config;
  if (config.compat === "mad-released") return releasedRound(ctx, population, qr, round);
  const debaters = population.debaters;
  const sides = sidesFor(debaters.length);
  const replies: Reply[] = [];
  for (const [i, debater] of debaters.entries()) {
    const own = qr.latest.get(debater.id);
    const opponentIndex = i === 0 ? (round === 1 ? -1 : debaters.length - 1) : i - 1;
    const opponent = opponentIndex < 0 ? undefined : qr.latest.get(debaters[opponentIndex]!.id);
    // Tit for tat: "medium" (MAD's default) tells the negative to disagree with the opening only.
    const disagree =
      config.disagreement === "high" || (config.disagreement === "medium" && round === 1 && i > 0);
    const messages = (): ChatMessage[] => [
      {
        role: "system",
        content: madSystemPrompt(qr.q, debater.id, sides[i]!, config.disagreement, debater),
      },
      {
        role: "user",
        content: madTurnPrompt(qr.q, {
          ...(own ? { own: own.text } : {}),
          ...(opponent ? { opponent: opponent.text, opponentSide: sides[opponentIndex] } : {}),
          disagree,
        }),
      },
    ];
    const sawFrom = [...(own ? [debater.id] : []), ...(opponent ? [opponent.agentId] : [])];
    const reply = await speak(ctx, debater, qr, {
      round,
      pattern: "argument",
      side: sides[i]!,
      messages,
      sawFrom,
      own,
      seen: opponent ? [opponent.answer] : [],
    });
    qr.latest.set(debater.id, reply);
    replies.push(reply);
  }
  const previous = qr.rounds.at(-1)?.replies;
  qr.rounds.push({ round, replies });

  const judge = roleOf(population, "judge")!;
  const state = (final: boolean): JudgeState => ({
    question: qr.q,
    final,
    sides: replies.map((r, i) => ({
      side: sides[i]!,
      answer: r.answer,
      previous: previous?.[i]?.answer ?? null,
    })),
  });
  const system = (): ChatMessage => ({ role: "system", content: judgeSystemPrompt(qr.q, sides) });
  const verdict = await judgeTurn(ctx, judge, qr, {
    round,
    final: false,
    messages: () => [
      system(),
      {
        role: "user",
        content: judgeRoundPrompt(
          round,
          sides,
          replies.map((r, i) => ({ side: sides[i]!, text: r.text })),
        ),
      },
    ],
    state: state(false),
    closesOnDecision: config.adaptiveBreak,
  });
  if (verdict.final) {
    qr.done = true;
    return;
  }
  if (round < config.rounds) return;
  // Built once, when a prompt is first needed, not again for every attempt to fit the context.
  let made: { round: number; side: string; text: string }[] | undefined;
  const all = () =>
    (made ??= qr.rounds.flatMap(({ round: r, replies: rs }) =>
      rs.map((reply, i) => ({ round: r, side: sides[i]!, text: reply.text })),
    ));
  const finalMessages = (from: number): ChatMessage[] => [
    system(),
    {
      role: "user",
      content: judgeFinalPrompt(
        round,
        sides,
        all().filter((a) => a.round >= from),
        from > 1 ? from : undefined,
      ),
    },
  ];
  // The prompt that grows with the debate: when it does not fit the judge's context, the oldest
  // rounds' arguments are left out first (the last round's always stay).
  const fit: FitRule = (_messages, fits) => {
    for (let from = 2; from <= round; from++) {
      const candidate = finalMessages(from);
      if (fits(candidate))
        return { messages: candidate, dropped: all().filter((a) => a.round < from).length };
    }
    return null;
  };
  await judgeTurn(ctx, judge, qr, {
    round,
    final: true,
    messages: () => finalMessages(1),
    state: state(true),
    fit,
  });
  qr.done = true;
}

/** The released code's names of rounds (it knows ten; config checks keep to them). */
const ORDINALS = [
  "first",
  "second",
  "third",
  "fourth",
  "fifth",
  "sixth",
  "seventh",
  "eighth",
  "ninth",
  "tenth",
];

/**
 * A speaker's whole conversation through this turn: the earlier one (with its reply) and the new
 * prompt, or the opening messages.
 */
function continued(
  qr: QuestionRun,
  id: string,
  opening: () => ChatMessage[],
  next: () => string,
): () => ChatMessage[] {
  // Taken now: the conversation is replaced once this turn's reply is in.
  const earlier = qr.conversations.get(id)?.messages;
  return lazyPrompt(() =>
    earlier ? [...earlier(), { role: "user", content: next() }] : opening(),
  );
}

/** Keeps a speaker's conversation with its reply, for its next turn. */
function remember(
  qr: QuestionRun,
  id: string,
  messages: () => ChatMessage[],
  text: string | null,
  sawFrom: string[],
): void {
  const reply = lazyPrompt(() => [...messages(), { role: "assistant", content: shownText(text) }]);
  qr.conversations.set(id, { messages: reply, sawFrom });
}

/**
 * `debate.compat: mad-released`: a round as Skytliang/Multi-Agents-Debate's released code plays it
 * (interactive.py / code/debate4tran.py with config4all.json's prompts, two sides). Each debater
 * and the moderator keep their whole conversation; the opponent's argument is quoted as the
 * opponent speaking ("You disagree with my answer"); the debate stops after the first ruling whose
 * `debate_answer` is not empty, whatever its preference; with none after the last round, a final
 * judge asks for the answer candidates over the first round's arguments, then for the answer.
 */
async function releasedRound(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
): Promise<void> {
  const [affirmative, negative] = population.debaters as [Debater, Debater];
  const topic = madReleasedTopic(qr.q);
  const meta = (): ChatMessage => ({
    role: "system",
    content: madReleasedPrompt("player_meta_prompt", [["debate_topic", topic]]),
  });
  // `opening`: the first prompt, given the opponent's reply so far (none for the affirmative).
  const turn = async (debater: Debater, side: string, opening: (opponent?: Reply) => string) => {
    const own = qr.latest.get(debater.id);
    // The opponent's latest reply, taken now: the prompt may be built after the opponent speaks.
    const opponent = qr.latest.get((debater === affirmative ? negative : affirmative).id);
    const prompt = continued(
      qr,
      debater.id,
      () => [meta(), { role: "user", content: opening(opponent) }],
      () => madReleasedPrompt("debate_prompt", [["oppo_ans", opponent!.text]]),
    );
    const sawFrom = [...(own ? [debater.id] : []), ...(opponent ? [opponent.agentId] : [])];
    const reply = await speak(ctx, debater, qr, {
      round,
      pattern: "argument",
      side,
      messages: prompt,
      sawFrom,
      own,
      seen: opponent ? [opponent.answer] : [],
    });
    remember(qr, debater.id, prompt, reply.text, sawFrom);
    qr.latest.set(debater.id, reply);
    return reply;
  };
  // The affirmative opens on the topic alone; the negative is shown the affirmative's opening as
  // the affirmative's own words ("You disagree with my answer"); later turns answer the opponent's
  // latest argument, also in its voice ("Do you agree with my perspective?").
  const aff = await turn(affirmative, "affirmative", () =>
    madReleasedPrompt("affirmative_prompt", [["debate_topic", topic]]),
  );
  const neg = await turn(negative, "negative", (opponent) =>
    madReleasedPrompt("negative_prompt", [["aff_ans", opponent!.text]]),
  );
  const previous = qr.rounds.at(-1)?.replies;
  qr.rounds.push({ round, replies: [aff, neg] });

  const sides = sidesFor(2);
  const judge = roleOf(population, "judge")!;
  const roundState: JudgeState = {
    question: qr.q,
    final: false,
    decideBy: "answer",
    sides: [aff, neg].map((r, i) => ({
      side: sides[i]!,
      answer: r.answer,
      previous: previous?.[i]?.answer ?? null,
    })),
  };
  const ruling = () =>
    madReleasedPrompt("moderator_prompt", [
      ["aff_ans", aff.text],
      ["neg_ans", neg.text],
      ["round", ORDINALS[round - 1]!],
    ]);
  const moderatorMeta = (): ChatMessage => ({
    role: "system",
    content: madReleasedPrompt("moderator_meta_prompt", [["debate_topic", topic]]),
  });
  const moderatorMessages = continued(
    qr,
    judge.id,
    () => [moderatorMeta(), { role: "user", content: ruling() }],
    ruling,
  );
  const verdict = await judgeTurn(ctx, judge, qr, {
    round,
    final: false,
    messages: moderatorMessages,
    state: roundState,
    closesOnDecision: true,
  });
  remember(qr, judge.id, moderatorMessages, verdict.text, []);
  if (verdict.final) {
    qr.done = true;
    return;
  }
  if (round < ctx.config.rounds) return;

  // The final judge sees the first round's arguments only, as the released code's does.
  const [aff1, neg1] = qr.rounds[0]!.replies as [Reply, Reply];
  const finalState: JudgeState = {
    question: qr.q,
    final: true,
    decideBy: "answer",
    sides: [aff1, neg1].map((r, i) => ({ side: sides[i]!, answer: r.answer, previous: null })),
  };
  const ask = lazyPrompt((): ChatMessage[] => [
    moderatorMeta(),
    {
      role: "user",
      content: madReleasedPrompt("judge_prompt_last1", [
        ["aff_ans", aff1.text],
        ["neg_ans", neg1.text],
      ]),
    },
  ]);
  const candidates = await replyOf(
    ctx,
    {
      agentId: judge.id,
      mind: judge.mind,
      purpose: "candidates",
      messages: ask,
      state: finalState,
      rng: ctx.rng("mind", judge.id, ctx.generation, qr.index, round, "candidates"),
      t: { question: qr.index, round },
      item: "candidates",
      fit: keepWhole,
    },
    READERS.candidates,
    null,
  );
  if (candidates.reading === null) qr.candidatesUnusable++;
  await judgeTurn(ctx, judge, qr, {
    round,
    final: true,
    messages: () => [
      ...ask(),
      { role: "assistant", content: shownText(candidates.text) },
      {
        role: "user",
        content: madReleasedPrompt("judge_prompt_last2", [["debate_topic", topic]]),
      },
    ],
    state: finalState,
    data: { candidates: candidates.text },
  });
  qr.done = true;
}
