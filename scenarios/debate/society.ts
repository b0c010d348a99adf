import type { FitRule } from "../../sim/core/minds.js";
import type { ChatMessage } from "../../sim/core/minds.js";
import type { JudgeState, SummaryState } from "./policies.js";
import {
  MACHINESOM_EXPERT,
  type Peer,
  debatePrompt,
  debateSummaryPrompt,
  judgeFinalPrompt,
  judgeSystemPrompt,
  machinesomTraitPrompt,
  peerDebatePrompt,
  peerQuestionPrompt,
  peerReflectionPrompt,
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
  shownText,
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

/** The peer whose own prompts a compat value uses, or null (Agora's prompts). */
const peerOf = (ctx: Ctx): Peer | null =>
  ctx.config.compat === "du" || ctx.config.compat === "machinesom" ? ctx.config.compat : null;

/** How an answer is shown: without its author's name under `debate.anonymous`. */
const shownAs = (ctx: Ctx, r: Reply) =>
  ctx.config.anonymous ? { text: r.text } : { name: r.agentId, text: r.text };

/**
 * Each LLM debater's acknowledgement of its MachineSoM trait turn, per question (MachineSoM sets up
 * its agents afresh for every case); kept for the prompts of later rounds.
 */
const acknowledgements = new WeakMap<QuestionRun, Map<string, string>>();

/**
 * MachineSoM's trait turn: the trait, with the expert role, as a user turn the model answers ("ok")
 * before it sees the question. Policy minds read no prompt, so they are not asked.
 */
async function acknowledge(ctx: Ctx, qr: QuestionRun, debater: Debater): Promise<void> {
  const text = await ctx.ask({
    agentId: debater.id,
    mind: debater.mind,
    purpose: "trait",
    messages: [{ role: "user", content: traitTurn(ctx, debater) }],
    state: null,
    rng: ctx.rng("mind", debater.id, ctx.generation, qr.index, 0, "trait"),
    t: { question: qr.index, round: 0 },
    // The debater's answer in the same round is another call.
    item: "trait",
    fit: keepWhole,
  });
  let acks = acknowledgements.get(qr);
  if (!acks) acknowledgements.set(qr, (acks = new Map()));
  acks.set(debater.id, shownText(text));
}

const traitTurn = (ctx: Ctx, debater: Debater): string =>
  machinesomTraitPrompt(ctx.config.expert ?? MACHINESOM_EXPERT, debater.trait!);

/**
 * What comes before the question: the system prompt (none under compat du and machinesom unless
 * there is a persona or advice to give: their debaters have none), then MachineSoM's trait turn
 * and its acknowledgement.
 */
function opening(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  d: Debater,
): ChatMessage[] {
  const peer = peerOf(ctx);
  // Under machinesom the trait is the trait turn, not a persona sentence.
  const persona = peer === "machinesom" ? { ...d, trait: undefined } : d;
  const messages: ChatMessage[] = [];
  if (peer === null || persona.persona || persona.advice || persona.trait) {
    const name = ctx.config.anonymous ? undefined : d.id;
    messages.push({
      role: "system",
      content: systemPrompt(name, population.debaters.length, persona),
    });
  }
  const ack = acknowledgements.get(qr)?.get(d.id);
  if (ack !== undefined)
    messages.push(
      { role: "user", content: traitTurn(ctx, d) },
      { role: "assistant", content: ack },
    );
  return messages;
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
            shown.map((r) => shownAs(ctx, r)),
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
 * The fit rule of `memory: full` conversations ([opening, question, (reply, prompt)..., latest
 * reply, this round's prompt], the opening `head - 1` messages: the system prompt, or none, or
 * MachineSoM's trait turn and its acknowledgement): drop whole rounds from the oldest, each a reply
 * and the prompt after it, so user and assistant turns still alternate (chat templates such as
 * Mistral's reject anything else). The opening, the question, the debater's latest reply and this
 * round's prompt always stay: at the least, the `memory: latest` prompt.
 */
export const dropOldestRoundsAfter =
  (head: number): FitRule =>
  (messages, fits) => {
    const kept = messages.slice(0, head);
    const rounds = messages.slice(head, -2);
    const tail = messages.slice(-2);
    for (let dropped = 1; 2 * dropped <= rounds.length; dropped++) {
      const candidate = [...kept, ...rounds.slice(2 * dropped), ...tail];
      if (fits(candidate)) return { messages: candidate, dropped };
    }
    return null;
  };

/** The fit rule of conversations opening with a system prompt. */
export const dropOldestRounds: FitRule = dropOldestRoundsAfter(2);

async function turn(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
  debater: Debater,
  view: ReadonlyMap<string, Reply>,
  reflector: Debater | undefined,
): Promise<Reply> {
  const config = ctx.config;
  const peer = peerOf(ctx);
  if (round === 0 && peer === "machinesom" && debater.mind.kind === "llm")
    await acknowledge(ctx, qr, debater);
  const head = lazyPrompt(() => opening(ctx, population, qr, debater));
  const base = lazyPrompt(() => [
    ...head(),
    { role: "user", content: peer ? peerQuestionPrompt(peer, qr.q) : questionPrompt(qr.q) },
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
  const configured = config.patterns[round - 1]!;
  // "mixed": the round's drawn reflector reflects; the others debate among themselves.
  const pattern =
    configured === "mixed" ? (debater === reflector ? "reflection" : "debate") : configured;
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
      ? neighbours(ctx, population, debater)
          .filter((d) => d !== reflector)
          .flatMap((d) => view.get(d.id) ?? [])
      : [];
  let seen: (string | null)[] = [];
  let sawFrom: string[] = [];
  // A debater with no neighbour to hear re-examines its own answer (Du et al.'s introspection
  // case).
  if (shown.length === 0) {
    prompt = () => (peer ? peerReflectionPrompt(peer) : reflectionPrompt(qr.q));
  } else if (roleOf(population, "summariser")) {
    const summary = await summarise(ctx, population, qr, round, debater, shown);
    // Without a usable summary the prompt says so, and the debater saw nobody's answer.
    prompt = () => debateSummaryPrompt(qr.q, summary);
    if (summary !== null)
      [seen, sawFrom] = [shown.map((r) => r.answer), [roleOf(population, "summariser")!.id]];
  } else {
    prompt = () =>
      peer
        ? peerDebatePrompt(
            peer,
            qr.q,
            shown.map((r) => ({ text: r.text })),
          )
        : debatePrompt(
            qr.q,
            shown.map((r) => shownAs(ctx, r)),
          );
    [seen, sawFrom] = [shown.map((r) => r.answer), shown.map((r) => r.agentId)];
  }
  const messages = lazyPrompt(() => [...past.messages(), { role: "user", content: prompt() }]);
  const saw = [...new Set([...past.sawFrom, ...sawFrom])];
  const fit: FitRule =
    config.memory === "full"
      ? (m, fits) => dropOldestRoundsAfter(head().length + 1)(m, fits)
      : keepWhole;
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
  // MachineSoM draws the reflector of a mixed round once for all its cases: here once per
  // generation and round, the same for every question.
  const reflector =
    round > 0 && ctx.config.patterns[round - 1] === "mixed"
      ? ctx.rng("mixed", ctx.generation, round).pick(population.debaters)
      : undefined;
  if (round === 0 || ctx.config.turns === "simultaneous") {
    const view = new Map(qr.latest);
    replies = await ctx.parallel(population.debaters, (d, branch) =>
      turn(branch, population, qr, round, d, view, reflector),
    );
    for (const reply of replies) qr.latest.set(reply.agentId, reply);
  } else {
    replies = [];
    for (const d of population.debaters) {
      const reply = await turn(ctx, population, qr, round, d, qr.latest, reflector);
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
