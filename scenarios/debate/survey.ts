import type { SurveyState } from "./policies.js";
import { questionPrompt, surveyPrompt, systemPrompt } from "./prompts.js";
import { READERS } from "./replies.js";
import { SURVEY_SCHEMA } from "./schemas.js";
import {
  type Ctx,
  type DebatePopulation,
  type QuestionRun,
  keepWhole,
  lastAttitude,
  replyOf,
} from "./work.js";

/**
 * Taubenfeld et al.'s private attitude survey after a round: each debater, in a conversation of its
 * own (its persona, the topic and its own latest reply), rates its attitude 0-10. Survey texts are
 * kept out of every debate prompt, its own included. A reply with no readable attitude (or none,
 * the
 * prompt not fitting the model's context) is recorded as null and counted (surveysUnusable).
 */
export async function surveyRound(
  ctx: Ctx,
  population: DebatePopulation,
  qr: QuestionRun,
  round: number,
): Promise<void> {
  const attitudes = await ctx.parallel(population.debaters, async (debater, branch) => {
    const own = qr.latest.get(debater.id)!;
    const state: SurveyState = {
      attitude: lastAttitude(qr, debater.id),
      reading: ctx.config.answerReading,
      seen: round === 0 ? [] : own.seen,
    };
    const { text, reading: attitude } = await replyOf(
      branch,
      {
        agentId: debater.id,
        mind: debater.mind,
        purpose: "survey",
        messages: () => [
          {
            role: "system",
            content: systemPrompt(debater.id, population.debaters.length, debater),
          },
          { role: "user", content: questionPrompt(qr.q) },
          { role: "assistant", content: own.text },
          { role: "user", content: surveyPrompt(qr.q) },
        ],
        state,
        rng: branch.rng("mind", debater.id, ctx.generation, qr.index, round, "survey"),
        t: { question: qr.index, round },
        fit: keepWhole,
        schema: SURVEY_SCHEMA,
      },
      READERS.survey,
      null,
    );
    branch.emit({
      type: "interaction",
      t: { generation: ctx.generation, question: qr.index, round },
      kind: "survey",
      from: debater.id,
      to: null,
      mind: branch.mindInfo(debater.mind),
      data: { questionId: qr.q.id, topic: qr.q.topic ?? qr.q.question, round, attitude, text },
    });
    return attitude;
  });
  population.debaters.forEach((d, i) =>
    qr.attitudes.set(d.id, [...(qr.attitudes.get(d.id) ?? []), attitudes[i]!]),
  );
}
