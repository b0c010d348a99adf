import type { FitRule } from "../../sim/core/minds.js";
import type { AnswerSchema, ChatMessage } from "../../sim/core/minds.js";

/**
 * What becomes of a model's answer: the agent's text, or the reason it is unusable. An unusable
 * text is recorded and counted (`textsUnusable`), never passed on and never measured: the project's
 * rule is that what a model sends that cannot be used is counted, not turned into data.
 */
export type UnusableReason =
  /**
   * No answer: the prompt did not fit the model's context (refused by the endpoint, or before
   * sending).
   */
  | "context-exceeded"
  /** Nothing but white space. */
  | "empty"
  /** Structured answers only: not a JSON object with a string `text`. */
  | "unreadable"
  /** transmission.formatPrompt: no answer had the start and end flags on one line. */
  | "unformatted";

export type ReadText =
  { text: string; unusable?: undefined } | { text: null; unusable: UnusableReason };

/**
 * The answer's schema when a profile asks for structured answers (`responseFormat: json_schema`).
 */
export const TEXT_SCHEMA: AnswerSchema = {
  name: "transmission_text",
  schema: {
    type: "object",
    properties: { text: { type: "string" } },
    required: ["text"],
    additionalProperties: false,
  },
};

/**
 * The text of an answer (`structured`: the `text` of a JSON object, as TEXT_SCHEMA asks), trimmed
 * of surrounding white space; null (no answer from the runtime) and anything else that gives no
 * text come back with the reason.
 */
export function readText(answer: string | null, structured: boolean): ReadText {
  if (answer === null) return { text: null, unusable: "context-exceeded" };
  let text = answer;
  if (structured) {
    const field = jsonTextField(answer);
    if (field === null) return { text: null, unusable: "unreadable" };
    text = field;
  }
  text = text.trim();
  return text === "" ? { text: null, unusable: "empty" } : { text };
}

function jsonTextField(answer: string): string | null {
  try {
    const parsed: unknown = JSON.parse(answer);
    const text =
      parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
        ? (parsed as { text?: unknown }).text
        : undefined;
    return typeof text === "string" ? text : null;
  } catch {
    return null;
  }
}

/**
 * The transmission fit rule, for a prompt of received texts that does not fit the profile's
 * contextWindow: drop texts one at a time, the agent's own previous text first (memory), then the
 * neighbours' texts from the end of the prompt order, rendering the prompt again with the same
 * template (`render`) each time, until it fits. At least one text stays: when even one does not
 * fit, null (the runtime then refuses the call before sending). `kept` hears the texts of the
 * prompt the rule returns.
 */
export function dropTexts<T extends { own: boolean }>(
  inputs: readonly T[],
  render: (kept: readonly T[]) => string,
  kept: (texts: readonly T[]) => void,
): FitRule {
  return (_messages, fits) => {
    const indices = [...inputs.keys()];
    const order = [
      ...indices.filter((i) => inputs[i]!.own),
      ...indices.filter((i) => !inputs[i]!.own).reverse(),
    ];
    for (let dropped = 1; dropped < inputs.length; dropped++) {
      const gone = new Set(order.slice(0, dropped));
      const texts = inputs.filter((_, i) => !gone.has(i));
      const messages: ChatMessage[] = [{ role: "user", content: render(texts) }];
      if (fits(messages)) {
        kept(texts);
        return { messages, dropped };
      }
    }
    return null;
  };
}
