import type { AnswerSchema } from "../../sim/core/minds.js";
import { STRUCTURED_ACTIONS, type Punishment } from "./parse.js";

/**
 * The Donor Game's answers as JSON schemas, sent as response_format when a profile asks for
 * structured answers (responseFormat: json_schema). Strict mode: every property required, no
 * others.
 * The justification comes first so that the model reasons before it commits to an answer, as the
 * free-text form asks. parse.ts reads the replies (rule 7 and its strategy rule).
 */

const object = (properties: Record<string, unknown>) => ({
  type: "object",
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

export const STRATEGY_SCHEMA: AnswerSchema = {
  name: "donor_game_strategy",
  schema: object({ justification: { type: "string" }, strategy: { type: "string" } }),
};

/** A donation: the amount bounded by the holdings the prompt showed (`shownHoldings`). */
export function donationSchema(punishment: Punishment, shownHoldings: number): AnswerSchema {
  const actions = STRUCTURED_ACTIONS[punishment];
  return {
    name: "donor_game_donation",
    schema: object({
      justification: { type: "string" },
      ...(actions.length > 0 ? { action: { type: "string", enum: [...actions] } } : {}),
      amount: { type: "number", minimum: 0, maximum: shownHoldings },
    }),
  };
}

/** A classic-payoff decision: cooperate or defect (parseCooperation reads it). */
export const COOPERATION_SCHEMA: AnswerSchema = {
  name: "donor_game_cooperation",
  schema: object({
    justification: { type: "string" },
    decision: { type: "string", enum: ["cooperate", "defect"] },
  }),
};
