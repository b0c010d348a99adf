/**
 * The LLM call path against servers that behave like real ones: each agent's call is its own
 * sample (live and in replay), context overflow is a failed answer and not a failed run, every
 * call is bounded and its truncation visible, structured answers are sent as response_format, and
 * endpoint errors name the host, path and attempts without credentials.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import cacache from "cacache";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { dropOldestTurns, estimatePromptTokens, fitPrompt } from "../agents/context-fit.js";
import { Ledger } from "../agents/ledger.js";
import { callIdentity, callSeed, llmCacheKey, MindRuntime } from "../agents/mind-runtime.js";
import { ResponseCache } from "../agents/response-cache.js";
import { withRetries } from "../agents/retry.js";
import { unusableText } from "../sim/app/cli/progress.js";
import type { EventInput } from "../sim/core/events.js";
import type { ChatMessage, MindCallRequest } from "../sim/core/minds.js";
import { profileSchema, type Profile } from "../sim/core/profile.js";
import { Rng } from "../sim/core/rng.js";
import {
  contextExceeded,
  messyScript,
  startFakeOpenAI,
  type FakeOpenAI,
  type InferenceServer,
  type Script,
} from "./support/fake-openai.js";
import { ROOT, tempDir } from "./support/llm-helpers.js";

const servers: FakeOpenAI[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const c of cleanups.splice(0)) c();
});

async function serve(script: Script): Promise<FakeOpenAI> {
  const server = await startFakeOpenAI({ script });
  servers.push(server);
  return server;
}

function cacheDir(): string {
  const dir = tempDir("robust");
  cleanups.push(dir.cleanup);
  return dir.path;
}

type LlmCall = Extract<EventInput, { type: "llm-call" }>;

/** A runtime of one profile "p" as a run builds it, and the llm-call events it emits. */
function runtime(
  profile: Partial<Profile> & { baseURL: string },
  opts: { cache?: ResponseCache; sampleSharing?: boolean; env?: NodeJS.ProcessEnv } = {},
) {
  const events: LlmCall[] = [];
  const ledger = new Ledger();
  const minds = new MindRuntime({
    profiles: { p: profileSchema.parse({ model: "m", maxTokens: 64, maxRetries: 0, ...profile }) },
    policies: {},
    cache: opts.cache ?? new ResponseCache(cacheDir(), "off"),
    ledger,
    runSeed: 7,
    maxConcurrency: 8,
    transcripts: true,
    ...(opts.sampleSharing ? { sampleSharing: true } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  const ask = (agentId: string, messages: ChatMessage[], extra: Partial<MindCallRequest> = {}) =>
    minds.call(
      {
        agentId,
        mind: { kind: "llm", profile: "p" },
        purpose: "text",
        messages,
        state: {},
        rng: new Rng(1),
        t: { generation: 1 },
        ...extra,
      },
      (e) => {
        if (e.type === "llm-call") events.push(e);
      },
    );
  return { minds, ledger, events, ask };
}

const SAME: ChatMessage[] = [{ role: "user", content: "Retell this story: a fox found a key." }];

describe("independent samples", () => {
  it("asks agents with identical prompts separately, and replays each agent's own answer", async () => {
    const server = await serve(messyScript({ seed: 3, mode: "varied" }));
    const dir = cacheDir();
    const live = runtime(
      { baseURL: server.baseURL },
      { cache: new ResponseCache(dir, "read-write") },
    );
    const agents = ["g1-a1", "g1-a2", "g1-a3", "g1-a4"];
    const answers = await Promise.all(agents.map((id) => live.ask(id, SAME)));
    expect(server.requests).toHaveLength(4);
    expect(new Set(server.requests.map((r) => JSON.stringify(r.messages))).size).toBe(1);
    expect(new Set(answers).size).toBe(4);
    expect(new Set(live.events.map((e) => e.promptHash)).size).toBe(4);

    await server.close();
    const replay = runtime(
      { baseURL: server.baseURL },
      { cache: new ResponseCache(dir, "replay") },
    );
    // In another order: each answer belongs to its agent, not to the order calls were made in.
    const replayed = await Promise.all([...agents].reverse().map((id) => replay.ask(id, SAME)));
    expect(replayed.reverse()).toEqual(answers);
    expect(replay.events.every((e) => e.cached)).toBe(true);
  });

  it("gives a re-ask its own identity but keeps a retried or resumed call on the same entry", () => {
    const profile = profileSchema.parse({ model: "m" });
    const base = {
      agentId: "g1-a1",
      mind: { kind: "llm", profile: "p" },
      purpose: "donation",
      messages: SAME,
      state: {},
      rng: new Rng(1),
      t: { generation: 2, game: 1, round: 3 },
    } as const;
    const key = (r: Partial<MindCallRequest>) =>
      llmCacheKey(profile, callIdentity({ ...base, ...r }, 7), SAME);
    expect(key({})).toBe(key({ attempt: 1 }));
    expect(key({ attempt: 2 })).not.toBe(key({}));
    expect(key({ agentId: "g1-a2" })).not.toBe(key({}));
    expect(key({ t: { generation: 2, game: 1, round: 4 } })).not.toBe(key({}));
    expect(key({ item: "q7" })).not.toBe(key({}));
    expect(llmCacheKey(profile, callIdentity(base, 8), SAME)).not.toBe(key({}));
  });

  it("sends each call a seed derived from the profile's seed and the call, the same on replay", async () => {
    const server = await serve(messyScript({ seed: 1, mode: "varied" }));
    const dir = cacheDir();
    const live = runtime(
      { baseURL: server.baseURL, seed: 42 },
      { cache: new ResponseCache(dir, "read-write") },
    );
    const first = await Promise.all(["a", "b", "c"].map((id) => live.ask(id, SAME)));
    const seeds = server.requests.map((r) => r.body.seed as number);
    expect(new Set(seeds).size).toBe(3);
    for (const seed of seeds)
      expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31).toBe(true);
    expect(new Set(first).size).toBe(3);
    expect(live.events.map((e) => e.seed).sort()).toEqual([...seeds].sort());

    // A second run with the same seeds and no cache sends the same seeds: a seed-honouring server
    // answers alike.
    const again = runtime({ baseURL: server.baseURL, seed: 42 });
    expect(await Promise.all(["a", "b", "c"].map((id) => again.ask(id, SAME)))).toEqual(first);
    expect(server.requests.slice(3).map((r) => r.body.seed)).toEqual(seeds);
    expect(callSeed(42, { runSeed: 7 })).toBe(callSeed(42, { runSeed: 7 }));
  });

  it("shares answers between agents only when sampleSharing asks for it", async () => {
    const server = await serve(messyScript({ seed: 5, mode: "varied" }));
    const dir = cacheDir();
    const shared = runtime(
      { baseURL: server.baseURL, seed: 9 },
      { cache: new ResponseCache(dir, "read-write"), sampleSharing: true },
    );
    const a = await shared.ask("g1-a1", SAME);
    const b = await shared.ask("g1-a2", SAME);
    expect(b).toBe(a);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.seed).toBe(9);
  });

  it("never reads an entry of another cache format", async () => {
    const dir = cacheDir();
    await cacache.put(
      dir,
      "k",
      JSON.stringify({ text: "format 1 answer", tokensIn: 1, tokensOut: 1 }),
    );
    expect(await new ResponseCache(dir, "read-write").get("k")).toBeUndefined();
    await expect(new ResponseCache(dir, "replay").get("k")).rejects.toThrow(/not a format-2 entry/);
  });
});

describe("invalid UTF-8", () => {
  it("arrives as replacement characters, is recorded as sent, and replays the same", async () => {
    const server = await serve(() => ({
      content: "Answer: 5",
      rawContent: Buffer.from([0x41, 0x6e, 0x73, 0xff, 0xfe, 0x3a, 0x20, 0x35]),
    }));
    const dir = cacheDir();
    const live = runtime(
      { baseURL: server.baseURL },
      { cache: new ResponseCache(dir, "read-write") },
    );
    const text = await live.ask("g1-a1", SAME);
    expect(text).toBe("Ans\uFFFD\uFFFD: 5");
    expect(live.events[0]!.response).toBe(text);
    await server.close();
    const replay = runtime(
      { baseURL: server.baseURL },
      { cache: new ResponseCache(dir, "replay") },
    );
    expect(await replay.ask("g1-a1", SAME)).toBe(text);
  });
});

describe("context overflow is a failed answer", () => {
  const wordings: InferenceServer[] = ["openai", "vllm", "llama.cpp", "ollama"];
  for (const wording of wordings) {
    it(`recognises ${wording}'s context-exceeded 400: no answer, counted, not retried, replayed alike`, async () => {
      const server = await serve(() => contextExceeded(wording));
      const dir = cacheDir();
      const live = runtime(
        { baseURL: server.baseURL, maxRetries: 3 },
        { cache: new ResponseCache(dir, "read-write") },
      );
      expect(await live.ask("g1-a1", SAME)).toBeNull();
      expect(server.requests).toHaveLength(1);
      const [event] = live.events;
      expect(event!.failure).toMatchObject({ kind: "context-exceeded", sent: true });
      expect(event!.failure!.message).toMatch(/context|too long/i);
      expect(live.ledger.run.contextExceeded).toBe(1);

      await server.close();
      const replay = runtime(
        { baseURL: server.baseURL },
        { cache: new ResponseCache(dir, "replay") },
      );
      expect(await replay.ask("g1-a1", SAME)).toBeNull();
      expect(replay.events[0]!.failure?.kind).toBe("context-exceeded");
    });
  }

  it("trims the oldest turns to fit contextWindow, and refuses before sending what cannot fit", async () => {
    const server = await serve(() => "ok");
    const long = "x".repeat(300);
    const conversation: ChatMessage[] = [
      { role: "system", content: "rules" },
      { role: "user", content: "the task" },
      { role: "assistant", content: `turn 1 ${long}` },
      { role: "user", content: `turn 2 ${long}` },
      { role: "assistant", content: `turn 3 ${long}` },
      { role: "user", content: "now answer" },
    ];
    const fitting = runtime({ baseURL: server.baseURL, contextWindow: 150, maxTokens: 20 });
    expect(await fitting.ask("g1-a1", conversation)).toBe("ok");
    const sent = server.requests[0]!.messages.map((m) => m.content);
    expect(sent[0]).toBe("rules");
    expect(sent[1]).toBe("the task");
    expect(sent.at(-1)).toBe("now answer");
    expect(sent).not.toContain(`turn 1 ${long}`);
    expect(fitting.events[0]!.trimmed).toBe(conversation.length - sent.length);

    const tiny = runtime({ baseURL: server.baseURL, contextWindow: 30, maxTokens: 20 });
    expect(await tiny.ask("g1-a1", [{ role: "user", content: long }])).toBeNull();
    expect(server.requests).toHaveLength(1);
    expect(tiny.events[0]!.failure).toMatchObject({ kind: "context-exceeded", sent: false });
    expect(tiny.ledger.run).toMatchObject({ calls: 0, contextExceeded: 1 });
  });

  it("estimates conservatively and leaves fitting prompts alone", () => {
    const prompt: ChatMessage[] = [{ role: "user", content: "a".repeat(300) }];
    expect(estimatePromptTokens(prompt)).toBe(104);
    expect(fitPrompt(prompt, { contextWindow: 200, maxTokens: 96, profile: "p" })).toEqual({
      ok: true,
      messages: prompt,
      dropped: 0,
    });
    expect(fitPrompt(prompt, { contextWindow: 200, maxTokens: 97, profile: "p" }).ok).toBe(false);
    expect(dropOldestTurns(prompt, () => true)).toBeNull();
  });
});

describe("bounded calls and visible truncation", () => {
  it("records finish_reason on every call and counts answers cut at maxTokens", async () => {
    const server = await serve(messyScript({ seed: 2, mode: "never-stop" }));
    const { ask, events, ledger } = runtime({ baseURL: server.baseURL, maxTokens: 12 });
    const text = await ask("g1-a1", SAME);
    expect(text!.split(" ")).toHaveLength(12);
    expect(server.requests[0]!.body.max_tokens).toBe(12);
    expect(events[0]!.finishReason).toBe("length");
    expect(ledger.generation(1).truncated).toBe(1);
  });

  it("gives profiles without maxTokens the scenario's default, in every shipped LLM config too", async () => {
    const { resolveConfig } = await import("../sim/core/config.js");
    const SCENARIOS = await (await import("../sim/app/scenarios.js")).builtinScenarios();
    const loaded = resolveConfig(
      {
        scenario: "donor-game",
        profiles: { p: { model: "m" } },
        population: { size: 2, minds: [{ count: 2, profile: "p" }] },
      },
      SCENARIOS,
    );
    expect(loaded.profiles.p!.maxTokens).toBe(SCENARIOS["donor-game"]!.defaultMaxTokens);

    const unbounded: string[] = [];
    for (const scenario of readdirSync(join(ROOT, "scenarios"), { withFileTypes: true }).filter(
      (d) => d.isDirectory(),
    )) {
      const folder = join(ROOT, "scenarios", scenario.name);
      for (const file of readdirSync(folder).filter((f) => f.endsWith(".yaml"))) {
        const config = parseYaml(readFileSync(join(folder, file), "utf8")) as {
          profiles?: Record<string, { maxTokens?: number }>;
          population?: { minds?: { llm?: { maxTokens?: number } }[] };
        };
        const profiles = [
          ...Object.entries(config.profiles ?? {}),
          ...(config.population?.minds ?? []).flatMap((m, i) =>
            m.llm ? [[`minds.${i}.llm`, m.llm] as const] : [],
          ),
        ];
        for (const [name, profile] of profiles)
          if (profile.maxTokens === undefined && !/embed/i.test(name))
            unbounded.push(`${scenario.name}/${file}: ${name}`);
      }
    }
    expect(unbounded).toEqual([]);
  });

  it("names every non-zero count of unusable answers", () => {
    const rows = [
      { parseFailures: 2, fallbackDecisions: 0, llmTruncated: 3, llmContextExceeded: 0 },
      { parseFailures: 1, fallbackDecisions: 0, llmTruncated: 0, llmContextExceeded: 1 },
    ];
    expect(unusableText(rows, ["parseFailures", "fallbackDecisions"])).toBe(
      "unusable: parseFailures=3 llmTruncated=3 llmContextExceeded=1",
    );
    expect(unusableText([{ parseFailures: 0 }], ["parseFailures"])).toBe("");
  });
});

describe("structured answers", () => {
  it("sends the scenario's JSON schema as response_format only when the profile asks for JSON", async () => {
    const server = await serve(() => '{"text":"a fox"}');
    const schema = {
      name: "text",
      schema: {
        type: "object",
        properties: { text: { type: "string" } },
        required: ["text"],
        additionalProperties: false,
      },
    };
    const json = runtime({ baseURL: server.baseURL, responseFormat: "json_schema" });
    expect(await json.ask("g1-a1", SAME, { schema })).toBe('{"text":"a fox"}');
    expect(server.requests[0]!.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "text", schema: schema.schema, strict: true },
    });
    expect(json.events[0]!.responseFormat).toBe("json_schema");

    const text = runtime({ baseURL: server.baseURL });
    await text.ask("g1-a1", SAME, { schema });
    expect(server.requests[1]!.body.response_format).toBeUndefined();
    // The format is part of the call's identity: a JSON answer is never replayed for a text
    // request.
    expect(text.events[0]!.promptHash).not.toBe(json.events[0]!.promptHash);
  });

  it("returns an answer that is not JSON, or is cut at maxTokens, as text for the scenario to count", async () => {
    const replies = [
      { content: "we one more fox", finishReason: "stop" },
      { content: '{"text":"a fox wh', finishReason: "length" },
    ];
    const server = await serve(() => replies.shift()!);
    const schema = {
      name: "text",
      schema: {
        type: "object",
        properties: { text: { type: "string" } },
        required: ["text"],
        additionalProperties: false,
      },
    };
    const json = runtime({ baseURL: server.baseURL, responseFormat: "json_schema", maxRetries: 2 });
    expect(await json.ask("g1-a1", SAME, { schema })).toBe("we one more fox");
    expect(await json.ask("g1-a2", SAME, { schema })).toBe('{"text":"a fox wh');
    expect(server.requests).toHaveLength(2);
    expect(json.events.map((e) => e.finishReason)).toEqual(["stop", "length"]);
  });
});

describe("errors that help", () => {
  const SECRET = "sk-echoed-SECRET-123456";

  it("fails fast on a 4xx with the server's words, the host and path, and no credentials", async () => {
    const server = await serve(() => ({
      status: 401,
      body: {
        error: {
          message: `Incorrect API key provided: ${SECRET}`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    }));
    const { ask } = runtime(
      { baseURL: server.baseURL, apiKeyEnv: "ROBUST_KEY", maxRetries: 4 },
      { env: { ROBUST_KEY: SECRET } },
    );
    const error = (await ask("g1-a1", SAME).catch((e: unknown) => e)) as Error;
    expect(server.requests).toHaveLength(1);
    expect(error.message).toContain(
      `POST http://127.0.0.1:${server.port}/v1/chat/completions failed after 1 attempt`,
    );
    expect(error.message).toContain("Incorrect API key provided");
    expect(error.message).not.toContain(SECRET);
  });

  it("names the unreachable endpoint and the attempts made", async () => {
    const server = await serve(() => "never");
    await server.close();
    const { ask } = runtime({ baseURL: server.baseURL, maxRetries: 1, timeoutMs: 2000 });
    const error = (await ask("g1-a1", SAME).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe("EndpointError");
    expect(error.message).toMatch(
      new RegExp(
        `POST http://127\\.0\\.0\\.1:${server.port}/v1/chat/completions failed after 2 attempts`,
      ),
    );
  });

  it("reads vLLM's unwrapped error body (before 0.10.1) instead of reporting no body", async () => {
    const server = await serve(() => ({
      status: 400,
      body: {
        object: "error",
        message: "'messages' must not be empty",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    }));
    const error = (await runtime({ baseURL: server.baseURL })
      .ask("g1-a1", SAME)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("'messages' must not be empty");
  });

  it("jitters retry waits between half and all of the backoff, never under Retry-After", async () => {
    const waits: number[] = [];
    const draws = [0, 1, 0.5];
    let calls = 0;
    await withRetries(
      async () => {
        calls++;
        if (calls <= 3)
          throw Object.assign(new Error("busy"), {
            status: calls === 3 ? 429 : 503,
            headers: calls === 3 ? { "retry-after": "9" } : {},
          });
        return "done";
      },
      {
        maxRetries: 5,
        baseDelayMs: 1000,
        jitter: () => draws.shift()!,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    expect(waits).toEqual([500, 2000, 9000]);
  });
});
