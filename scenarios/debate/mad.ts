import type { FitRule } from "../../sim/core/minds.js";
import type { ChatMessage } from "../../sim/core/minds.js";
import type { JudgeState } from "./policies.js";
import {
  judgeFinalPrompt,
  judgeRoundPrompt,
  judgeSystemPrompt,
  madSystemPrompt,
  madTurnPrompt,
} from "./prompts.js";
import {
  type Ctx,
  type DebatePopulation,
  type QuestionRun,
  type Reply,
  judgeTurn,
  roleOf,
  speak,
} from "./work.js";

/**
 * MAD (Liang et al. 2023, Skytliang/Multi-Agents-Debate): sides speak in order each round, each
 * seeing only the latest argument of the side before it (the affirmative, from round 2 on, the
 * last side's); a judge rules after every round and the debate stops when it prefers a side
 * (adaptive break), else a final judgement over all arguments follows the last round.
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
