/** askUntilUsable: re-asks with the prompt, the last answer and the reason; stops on null. */
import { describe, expect, it } from "vitest";
import type { EventInput } from "../sim/core/events.js";
import type { ChatMessage } from "../sim/core/minds.js";
import { Rng } from "../sim/core/rng.js";
import { askUntilUsable, CONTEXT_EXCEEDED } from "../sim/toolkit/ask.js";

const PROMPT: ChatMessage[] = [{ role: "user", content: "How much?" }];
const read = (text: string) =>
  /^\d+$/.test(text)
    ? ({ ok: true, value: Number(text) } as const)
    : ({ ok: false, reason: `not a number: ${text}` } as const);

/** A step context whose mind gives the scripted answers in turn and records what it was sent. */
function scripted(answers: (string | null)[]) {
  const sent: { messages: ChatMessage[]; attempt?: number }[] = [];
  const events: EventInput[] = [];
  return {
    sent,
    events,
    ctx: {
      ask: async (request: { messages: ChatMessage[]; attempt?: number }) => {
        sent.push({ messages: request.messages, attempt: request.attempt });
        return answers.shift() ?? null;
      },
      emit: (event: EventInput) => void events.push(event),
    },
  };
}

const request = {
  agentId: "g1-a1",
  mind: { kind: "llm", profile: "p" },
  purpose: "amount",
  messages: PROMPT,
  state: {},
  rng: new Rng(1),
  t: { generation: 2, round: 1 },
} as const;
const options = { retries: 2, read, reask: (reason: string) => `Again: ${reason}` };

describe("askUntilUsable", () => {
  it("re-asks with four messages whatever the attempt, and stops at the first usable answer", async () => {
    const { ctx, sent, events } = scripted(["five", "six", "7"]);
    const { outcome, failures } = await askUntilUsable(ctx as never, request as never, options);
    expect(outcome).toEqual({ ok: true, value: 7 });
    expect(failures).toBe(2);
    expect(sent.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(sent[2]!.messages).toEqual([
      ...PROMPT,
      { role: "assistant", content: "six" },
      { role: "user", content: "Again: not a number: six" },
    ]);
    expect(events.map((e) => e.type === "parse-failure" && [e.attempt, e.answer])).toEqual([
      [1, "five"],
      [2, "six"],
    ]);
  });

  it("falls back after the last re-ask, and never re-asks a prompt that did not fit", async () => {
    const exhausted = scripted(["a", "b", "c", "9"]);
    expect(await askUntilUsable(exhausted.ctx as never, request as never, options)).toEqual({
      outcome: { ok: false, reason: "not a number: c" },
      failures: 3,
    });
    expect(exhausted.sent).toHaveLength(3);

    const overflow = scripted([null, "4"]);
    const result = await askUntilUsable(overflow.ctx as never, request as never, options);
    expect(result).toEqual({ outcome: { ok: false, reason: CONTEXT_EXCEEDED }, failures: 1 });
    expect(overflow.sent).toHaveLength(1);
    expect(overflow.events).toMatchObject([
      { type: "parse-failure", reason: CONTEXT_EXCEEDED, answer: "" },
    ]);
  });
});
