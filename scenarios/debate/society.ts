import type { FitRule } from "../../sim/core/minds.js";
import type { ChatMessage } from "../../sim/core/minds.js";
import type { JudgeState, SummaryState } from "./policies.js";
import {
  debatePrompt,
  debateSummaryPrompt,
  judgeFinalPrompt,
  judgeSystemPrompt,
  questionPrompt,
  reflectionPrompt,
  summarisePrompt,
  systemPrompt,
} from "./prompts.js";
import { READERS } from "./replies.js";
import { SUMMARY_SCHEMA } from "./schemas.js";
import {
  type AnswerPattern,
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
  speak,
} from "./work.js";

/**
 * The round-based setups (Du et al.'s N-agent debate, MachineSoM's societies, Taubenfeld et al.'s
 * persona debates, and the baselines): round 0 is every debater's independent answer; each later
 * round follows its thinking pattern. "debate": the debater sees its graph neighbours' latest
 * replies (or a summariser's digest of them); "reflection": only its own latest reply.
 */

/**
 * The debaters whose replies `debater` may see: its in-neighbours on the social graph, in
 * population order.
 */
function neighbours(ctx: Ctx, population: DebatePopulation, debater: Debater): Debater[] {
  const slots = new Set(ctx.graph.inboundNeighbors(debater.slot));
  return population.debaters.filter((d) => d !== debater && slots.has(d.slot));
}

/**
 * The summariser's digest of `shown` for `debater`, or null when it gave none that can be used
 * (counted).
 */
async function summarise(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
  debater: Debater,
  shown: Reply[],
): Promise<string | null> {
  const summariser = roleOf(population, "summariser")!;
  const state: SummaryState = { others: shown.map((r) => ({ id: r.agentId, answer: r.answer })) };
  const { text, reading: summary } = await replyOf(
    ctx,
    {
      agentId: summariser.id,
      mind: summariser.mind,
      purpose: "summary",
      messages: () => [
        {
          role: "user",
          content: summarisePrompt(
            qr.q,
            shown.map((r) => ({ name: r.agentId, text: r.text })),
          ),
        },
      ],
      state,
      rng: ctx.rng("mind", summariser.id, ctx.generation, qr.index, round, debater.id),
      t: { question: qr.index, round },
      // One summary per debater in the same round, even of identical replies: each its own sample.
      item: debater.id,
      fit: keepWhole,
      schema: SUMMARY_SCHEMA,
    },
    READERS.summary,
    null,
  );
  if (summary === null) qr.summariesUnusable++;
  ctx.emit({
    type: "interaction",
    t: { generation: ctx.generation, question: qr.index, round },
    kind: "summary",
    from: summariser.id,
    to: debater.id,
    mind: ctx.mindInfo(summariser.mind),
    data: { questionId: qr.q.id, round, text, summary, of: shown.map((r) => r.agentId) },
  });
  return summary;
}

/**
 * The fit rule of `memory: full` conversations ([system, question, (reply, prompt)..., latest
 * reply,
 * this round's prompt]): drop whole rounds from the oldest, each a reply and the prompt after it,
 * so
 * user and assistant turns still alternate (chat templates such as Mistral's reject anything else).
 * The system prompt, the question, the debater's latest reply and this round's prompt always stay:
 * at the least, the `memory: latest` prompt.
 */
export const dropOldestRounds: FitRule = (messages, fits) => {
  const head = messages.slice(0, 2);
  const rounds = messages.slice(2, -2);
  const tail = messages.slice(-2);
  for (let dropped = 1; 2 * dropped <= rounds.length; dropped++) {
    const candidate = [...head, ...rounds.slice(2 * dropped), ...tail];
    if (fits(candidate)) return { messages: candidate, dropped };
  }
  return null;
};

async function turn(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
  debater: Debater,
  view: ReadonlyMap<string, Reply>,
): Promise<Reply> {
  const config = ctx.config;
  const base = lazyPrompt(() => [
    { role: "system", content: systemPrompt(debater.id, population.debaters.length, debater) },
    { role: "user", content: questionPrompt(qr.q) },
  ]);
  if (round === 0) {
    const pattern: AnswerPattern = config.setup === "self-consistency" ? "sample" : "initial";
    return remember(
      qr,
      debater,
      base,
      [],
      await speak(ctx, debater, qr, {
        round,
        pattern,
        messages: base,
        sawFrom: [],
        own: undefined,
        seen: [],
      }),
    );
  }
  const pattern = config.patterns[round - 1]!;
  const own = view.get(debater.id)!;
  // "latest": the question and its own latest reply; "full": its whole conversation so far.
  const past =
    config.memory === "full"
      ? qr.conversations.get(debater.id)!
      : {
          messages: (): ChatMessage[] => [...base(), { role: "assistant", content: own.text }],
          sawFrom: [debater.id],
        };
  let prompt: () => string;
  const shown =
    pattern === "debate"
      ? neighbours(ctx, population, debater).flatMap((d) => view.get(d.id) ?? [])
      : [];
  let seen: (string | null)[] = [];
  let sawFrom: string[] = [];
  // A debater with no neighbour to hear re-examines its own answer (Du et al.'s introspection
  // case).
  if (shown.length === 0) {
    prompt = () => reflectionPrompt(qr.q);
  } else if (roleOf(population, "summariser")) {
    const summary = await summarise(ctx, population, qr, round, debater, shown);
    // Without a usable summary the prompt says so, and the debater saw nobody's answer.
    prompt = () => debateSummaryPrompt(qr.q, summary);
    if (summary !== null)
      [seen, sawFrom] = [shown.map((r) => r.answer), [roleOf(population, "summariser")!.id]];
  } else {
    prompt = () =>
      debatePrompt(
        qr.q,
        shown.map((r) => ({ name: r.agentId, text: r.text })),
      );
    [seen, sawFrom] = [shown.map((r) => r.answer), shown.map((r) => r.agentId)];
  }
  const messages = lazyPrompt(() => [...past.messages(), { role: "user", content: prompt() }]);
  const saw = [...new Set([...past.sawFrom, ...sawFrom])];
  const fit = config.memory === "full" ? dropOldestRounds : keepWhole;
  return remember(
    qr,
    debater,
    messages,
    saw,
    await speak(ctx, debater, qr, { round, pattern, messages, sawFrom: saw, own, seen, fit }),
  );
}

/** Keeps the debater's conversation (prompt and reply) for `memory: full`. */
function remember(
  qr: QuestionRun,
  debater: Debater,
  messages: () => ChatMessage[],
  sawFrom: string[],
  reply: Reply,
): Reply {
  qr.conversations.set(debater.id, {
    messages: lazyPrompt(() => [...messages(), { role: "assistant", content: reply.text }]),
    sawFrom: [...new Set([...sawFrom, debater.id])],
  });
  return reply;
}

/**
 * Plays one round of a question; simultaneous rounds see the previous round, sequential ones the
 * latest replies.
 */
export async function societyRound(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
): Promise<void> {
  let replies: Reply[];
  if (round === 0 || ctx.config.turns === "simultaneous") {
    const view = new Map(qr.latest);
    replies = await ctx.parallel(population.debaters, (d, branch) =>
      turn(branch, population, qr, round, d, view),
    );
    for (const reply of replies) qr.latest.set(reply.agentId, reply);
  } else {
    replies = [];
    for (const d of population.debaters) {
      const reply = await turn(ctx, population, qr, round, d, qr.latest);
      qr.latest.set(d.id, reply);
      replies.push(reply);
    }
  }
  qr.rounds.push({ round, replies });
  const answers = replies.map((r) => r.answer);
  const consensus = answers[0] !== null && answers.every((a) => a === answers[0]);
  if (round === ctx.config.rounds || (ctx.config.stopOnConsensus && consensus)) {
    qr.done = true;
    const judge = roleOf(population, "judge");
    if (judge) await finalJudgement(ctx, population, qr, round);
  }
}

/** An optional judge over the debaters' final replies (sides are the debaters' ids). */
async function finalJudgement(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
): Promise<void> {
  const sides = population.debaters.map((d) => d.id);
  const previous = qr.rounds.at(-2)?.replies;
  const finals = qr.rounds.at(-1)!.replies;
  const state: JudgeState = {
    question: qr.q,
    final: true,
    sides: finals.map((r) => ({
      side: r.agentId,
      answer: r.answer,
      previous: previous?.find((p) => p.agentId === r.agentId)?.answer ?? null,
    })),
  };
  const messages = (): ChatMessage[] => [
    { role: "system", content: judgeSystemPrompt(qr.q, sides) },
    {
      role: "user",
      content: judgeFinalPrompt(
        round,
        sides,
        finals.map((r) => ({ round, side: r.agentId, text: r.text })),
      ),
    },
  ];
  await judgeTurn(ctx, roleOf(population, "judge")!, qr, {
    round,
    final: true,
    messages,
    state,
  });
}
