/**
 * askUntilUsable: re-asks with the prompt, the last answer and the reason; stops on null; a
 * policy's fast path answers without a prompt.
 */
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { Ledger } from "../agents/ledger.js";
import { MindRuntime } from "../agents/mind-runtime.js";
import { ResponseCache } from "../agents/response-cache.js";
import type { EventInput } from "../sim/core/events.js";
import type { ChatMessage, PolicyRegistry } from "../sim/core/minds.js";
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
      act: () => null,
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

/** A policy that draws a number: its text says "n", its fast path gives read's value directly. */
const POLICIES: PolicyRegistry = {
  draw: {
    paramsSchema: z.object({}).strict(),
    describe: () => "draws",
    decide: ({ rng }) => String(rng.int(0, 99)),
    act: ({ rng }) => ({ ok: true, value: rng.int(0, 99) }),
  },
};

/** A step context over a real MindRuntime, counting the prompts it had to build. */
function runtimeContext(policyPath: "fast" | "text") {
  const minds = new MindRuntime({
    profiles: {},
    policies: POLICIES,
    cache: new ResponseCache("/nonexistent", "off"),
    ledger: new Ledger(),
    runSeed: 1,
    maxConcurrency: 1,
    transcripts: false,
    policyPath,
  });
  const ctx = {
    ask: (r: never) => minds.call({ ...(r as object), t: { generation: 1 } } as never, () => {}),
    act: (r: never) => minds.act(r),
    emit: () => {},
  };
  let built = 0;
  const ask = (seed: number) =>
    askUntilUsable(
      ctx as never,
      {
        ...request,
        mind: { kind: "policy", policy: "draw", params: {} },
        rng: new Rng(seed),
        messages: () => {
          built++;
          return PROMPT;
        },
      } as never,
      options,
    );
  return { ask, built: () => built, minds };
}

describe("the fast policy path", () => {
  it("answers from the policy's act without building a prompt, as the text path reads it", async () => {
    const fast = runtimeContext("fast");
    const text = runtimeContext("text");
    for (const seed of [1, 2, 3, 42]) {
      const a = await fast.ask(seed);
      const b = await text.ask(seed);
      expect(a).toEqual(b);
      expect(a.outcome.ok).toBe(true);
    }
    expect(fast.built()).toBe(0);
    expect(text.built()).toBe(4);
  });

  it("takes the text path for LLM minds and policies without act", () => {
    const { minds } = runtimeContext("fast");
    const rng = new Rng(1);
    const base = { agentId: "g1-a1", purpose: "amount", state: {}, rng };
    expect(minds.act({ ...base, mind: { kind: "llm", profile: "p" } })).toBeNull();
    expect(
      minds.act({ ...base, mind: { kind: "policy", policy: "draw", params: {} } }),
    ).not.toBeNull();
    expect(() =>
      minds.act({ ...base, mind: { kind: "policy", policy: "nope", params: {} } }),
    ).toThrow('unknown policy "nope"');
  });
});
