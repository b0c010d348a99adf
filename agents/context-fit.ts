import type { ChatMessage, FitRule } from "../sim/core/minds.js";

/**
 * Context windows: recognising an endpoint's "context exceeded" refusal, and fitting a prompt into
 * a profile's `contextWindow` before anything is sent.
 */

// Scenarios import it from here today.

/**
 * The wordings of OpenAI, vLLM, llama.cpp server, Ollama and LangChain's own ContextOverflowError.
 * An endpoint that truncates silently (Ollama's default num_ctx) sends none: set `contextWindow`.
 */
const OVERFLOW_WORDING = new RegExp(
  [
    "context_length_exceeded",
    "maximum context length",
    "exceeds? the (?:available )?context (?:size|window|length)",
    "exceed_context_size",
    "context window",
    "prompt (?:is )?too long",
    "too long to fit into the model",
    "input length exceeds",
    "exceeds? (?:the )?max(?:imum)? context",
  ].join("|"),
  "i",
);

/**
 * The endpoint's message when `error` says the request did not fit the model's context; else null.
 */
export function contextExceededMessage(error: unknown): string | null {
  if (error === null || typeof error !== "object") return null;
  const e = error as {
    name?: unknown;
    status?: unknown;
    message?: unknown;
    cause?: unknown;
    error?: unknown;
  };
  if (e.status !== undefined && e.status !== 400 && e.status !== 413 && e.status !== 422)
    return null;
  const message = typeof e.message === "string" ? e.message : "";
  const body = e.error === undefined ? "" : JSON.stringify(e.error);
  if (
    e.name === "ContextOverflowError" ||
    OVERFLOW_WORDING.test(message) ||
    OVERFLOW_WORDING.test(body)
  )
    return message || body;
  return e.cause !== undefined && e.cause !== error ? contextExceededMessage(e.cause) : null;
}

/**
 * A prompt's size in tokens, estimated before sending: one token per 3 characters plus 4 per
 * message. BPE tokenizers average about 4 characters per token on English prose, so this errs
 * towards "does not fit" (the endpoint's own refusal is still caught when it does not).
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((n, m) => n + Math.ceil(m.content.length / 3) + 4, 0);
}

/**
 * The default rule, for conversations: drop the oldest turns between the opening (system messages
 * and the first user message, which state the task) and the last message (the current request).
 */
export const dropOldestTurns: FitRule = (messages, fits) => {
  const opening = messages.findIndex((m) => m.role === "user");
  const head = messages.slice(0, opening + 1);
  const middle = messages.slice(opening + 1, -1);
  const last = messages.slice(-1);
  if (opening < 0 || opening === messages.length - 1) return null;
  for (let dropped = 1; dropped <= middle.length; dropped++) {
    const candidate = [...head, ...middle.slice(dropped), ...last];
    if (fits(candidate)) return { messages: candidate, dropped };
  }
  return null;
};

export type Fitted =
  { ok: true; messages: readonly ChatMessage[]; dropped: number } | { ok: false; message: string };

/**
 * Fits a prompt into `contextWindow` tokens with room for `maxTokens` of answer: unchanged when it
 * fits (or no window is known), shrunk by `rule`, or refused with a message naming the sizes.
 */
export function fitPrompt(
  messages: readonly ChatMessage[],
  budget: { contextWindow?: number; maxTokens?: number; profile: string },
  rule: FitRule = dropOldestTurns,
): Fitted {
  const { contextWindow } = budget;
  if (contextWindow === undefined) return { ok: true, messages, dropped: 0 };
  const room = contextWindow - (budget.maxTokens ?? 0);
  const fits = (candidate: readonly ChatMessage[]) => estimatePromptTokens(candidate) <= room;
  if (fits(messages)) return { ok: true, messages, dropped: 0 };
  const shrunk = room > 0 ? rule(messages, fits) : null;
  if (shrunk) return { ok: true, messages: shrunk.messages, dropped: shrunk.dropped };
  return {
    ok: false,
    message:
      `prompt of about ${estimatePromptTokens(messages)} tokens (characters / 3 + 4 a message) does not fit profile "${budget.profile}"'s ` +
      `contextWindow ${contextWindow} with maxTokens ${budget.maxTokens ?? 0} for the answer, and the scenario's rule found nothing to drop that makes it fit; not sent`,
  };
}
