import type { AnswerSchema } from "../../sim/core/minds.js";

/**
 * The debate's answer formats for structured answers (a profile with `responseFormat: json_schema`
 * sends them as OpenAI's json_schema response format; otherwise they are not sent). Strict mode:
 * every property required, no others. The readers (answers.ts, replies.ts) read these fields first.
 */

const object = (properties: Record<string, unknown>): Record<string, unknown> => ({
  type: "object",
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

const text = { type: "string" };

/**
 * A debater's turn: its reasoning, then its answer (reasoning first, so the model reasons before it
 * answers).
 */
export const ANSWER_SCHEMA: AnswerSchema = {
  name: "debate_answer",
  schema: object({ reasoning: text, answer: text }),
};

/**
 * MAD's moderator: the JSON fields its prompts ask for (a round ruling also says whether it prefers
 * a side).
 */
export const JUDGE_ROUND_SCHEMA: AnswerSchema = {
  name: "judge_round",
  schema: object({
    "Whether there is a preference": { type: "string", enum: ["Yes", "No"] },
    "Supported Side": text,
    Reason: text,
    debate_answer: text,
  }),
};
export const JUDGE_FINAL_SCHEMA: AnswerSchema = {
  name: "judge_final",
  schema: object({ "Supported Side": text, Reason: text, debate_answer: text }),
};

export const SURVEY_SCHEMA: AnswerSchema = {
  name: "attitude_survey",
  schema: object({ attitude: { type: "integer", minimum: 0, maximum: 10 } }),
};

export const ADVICE_SCHEMA: AnswerSchema = {
  name: "debating_advice",
  schema: object({ advice: text }),
};

export const SUMMARY_SCHEMA: AnswerSchema = {
  name: "answers_summary",
  schema: object({ summary: text }),
};
