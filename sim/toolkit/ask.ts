import type { ChatMessage } from "../core/minds.js";
import type { StepContext } from "../core/scenario.js";

/** An answer that could not be used, and why (the reason goes into the re-ask and the event). */
export type Unusable = { ok: false; reason: string };

/** The reason recorded when a model gave no answer because the prompt did not fit its context. */
export const CONTEXT_EXCEEDED = "context exceeded";

type AskRequest = Omit<Parameters<StepContext["ask"]>[0], "messages"> & {
  t: { generation: number };
  /** The prompt, or how to build it: built only when the call takes the text path. */
  messages: ChatMessage[] | (() => ChatMessage[]);
};

/**
 * Asks until the answer reads, re-asking up to `retries` times. A re-ask sends the original prompt,
 * the last unusable answer and the reason: never the history of every failed attempt, which grows
 * towards the context limit. An answer that did not fit the context (null) is not re-asked, since
 * the same prompt would not fit again. Each unusable answer is a parse-failure event and counted in
 * `failures`; an outcome that is not ok means: fall back. A policy with a fast path answers with
 * the value `read` would make of its text, and no prompt is built.
 */
export async function askUntilUsable<R extends { ok: true } | Unusable>(
  ctx: Pick<StepContext, "ask" | "act" | "emit">,
  request: AskRequest,
  options: { retries: number; read: (text: string) => R; reask: (reason: string) => string },
): Promise<{ outcome: R | Unusable; failures: number }> {
  const fast = ctx.act<R>(request);
  if (fast) return { outcome: fast.value, failures: 0 };
  const prompt = typeof request.messages === "function" ? request.messages() : request.messages;
  let messages = prompt;
  let outcome: R | Unusable = { ok: false, reason: "not asked" };
  let failures = 0;
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    const text = await ctx.ask({ ...request, messages, attempt });
    outcome = text === null ? { ok: false, reason: CONTEXT_EXCEEDED } : options.read(text);
    if (outcome.ok) break;
    failures++;
    ctx.emit({
      type: "parse-failure",
      t: request.t,
      agentId: request.agentId,
      purpose: request.purpose,
      attempt,
      reason: outcome.reason,
      answer: text ?? "",
    });
    if (text === null) break;
    messages = [
      ...prompt,
      { role: "assistant", content: text },
      { role: "user", content: options.reask(outcome.reason) },
    ];
  }
  return { outcome, failures };
}
