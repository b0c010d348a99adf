/**
 * The LLM call path's wrappers, one at a time, each around a small in-memory ChatModel (the
 * endpoint against the fake OpenAI server): what each adds, and that it adds nothing else.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { afterEach, describe, expect, it } from "vitest";
import { budgeted, withinCostCap } from "../agents/chat/budgeted.js";
import { cached } from "../agents/chat/cached.js";
import { concurrencyLimited } from "../agents/chat/concurrency-limited.js";
import { ChatCompletionsEndpoint } from "../agents/chat/endpoint.js";
import { endpointFailure, keyRedactor } from "../agents/chat/endpoint-error.js";
import {
  lazily,
  type ChatModel,
  type Completion,
  type CompletionRequest,
} from "../agents/chat/model.js";
import { rateLimited } from "../agents/chat/rate-limited.js";
import { retrying } from "../agents/chat/retrying.js";
import { standIn } from "../agents/chat/stand-in.js";
import { refusingUnfit } from "../agents/chat/unfit.js";
import { Ledger } from "../agents/ledger.js";
import type { RateLimiter } from "../agents/rate-limit.js";
import { CacheMissError, ResponseCache } from "../agents/response-cache.js";
import { BudgetExhaustedError } from "../sim/core/errors.js";
import type { CachedResponse, MindCallRequest } from "../sim/core/minds.js";
import { profileSchema } from "../sim/core/profile.js";
import { Rng } from "../sim/core/rng.js";
import { startFakeOpenAI, type FakeOpenAI, type Script } from "./support/fake-openai.js";

const dirs: string[] = [];
const servers: FakeOpenAI[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "agora-wrappers-"));
  dirs.push(dir);
  return dir;
}

function request(extra: Partial<CompletionRequest> = {}, agentId = "g1-a1"): CompletionRequest {
  const call: MindCallRequest = {
    agentId,
    mind: { kind: "llm", profile: "p" },
    purpose: "text",
    messages: [{ role: "user", content: "Retell: a fox found a key." }],
    state: { fox: true },
    rng: new Rng(1),
    t: { generation: 2 },
  };
  return { call, messages: call.messages, key: "key-1", format: "text", ...extra };
}

function completion(text: string, extra: Partial<Completion> = {}): Completion {
  return {
    text,
    tokensIn: 10,
    tokensOut: 5,
    finishReason: "stop",
    attempts: 1,
    cached: false,
    ...extra,
  };
}

/** The inner model of a test: answers with `reply`, and keeps the requests it was given. */
function model(
  reply: (request: CompletionRequest, n: number) => Completion | Promise<Completion> = () =>
    completion("an answer"),
) {
  const requests: CompletionRequest[] = [];
  const inner: ChatModel & { requests: CompletionRequest[] } = {
    requests,
    complete: async (r) => {
      requests.push(r);
      return reply(r, requests.length);
    },
  };
  return inner;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const httpError = (status: number) => Object.assign(new Error(`${status} status code`), { status });

describe("cached", () => {
  it("asks the inner model on a miss, stores the answer and replays it as a hit", async () => {
    const dir = cacheDir();
    const inner = model();
    const live = cached(inner, new ResponseCache(dir, "read-write"));
    expect(await live.complete(request())).toEqual(completion("an answer"));
    expect(await live.complete(request())).toEqual(
      completion("an answer", { cached: true, attempts: 0 }),
    );
    expect(inner.requests).toHaveLength(1);

    const replay = cached(model(), new ResponseCache(dir, "replay"));
    expect(await replay.complete(request())).toMatchObject({ text: "an answer", cached: true });
    await expect(replay.complete(request({ key: "key-2" }))).rejects.toBeInstanceOf(CacheMissError);
  });

  it("stores a context-exceeded refusal, so a replay refuses alike", async () => {
    const dir = cacheDir();
    const failure = { kind: "context-exceeded" as const, message: "too long" };
    await cached(
      model(() => completion("", { tokensIn: 0, tokensOut: 0, finishReason: null, failure })),
      new ResponseCache(dir, "read-write"),
    ).complete(request());
    expect(
      await cached(model(), new ResponseCache(dir, "replay")).complete(request()),
    ).toMatchObject({ failure, cached: true });
  });

  it("with the cache off, always asks", async () => {
    const inner = model();
    const off = cached(inner, new ResponseCache(cacheDir(), "off"));
    await off.complete(request());
    await off.complete(request());
    expect(inner.requests).toHaveLength(2);
  });

  it("gives a run the answer another run's identical request is fetching, once", async () => {
    const dir = cacheDir();
    const inflight = new Map<string, Promise<CachedResponse>>();
    const gate = deferred<Completion>();
    const first = model(() => gate.promise);
    const second = model();
    const a = cached(first, new ResponseCache(dir, "read-write"), inflight).complete(request());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const b = cached(second, new ResponseCache(dir, "read-write"), inflight).complete(request());
    gate.resolve(completion("fetched once", { attempts: 2 }));
    expect(await a).toEqual(completion("fetched once", { attempts: 2 }));
    expect(await b).toEqual(completion("fetched once", { cached: true, attempts: 0 }));
    expect(second.requests).toHaveLength(0);
    expect(inflight.size).toBe(0);
  });

  it("makes its own call when the request it waited for failed", async () => {
    const dir = cacheDir();
    const inflight = new Map<string, Promise<CachedResponse>>();
    const gate = deferred<Completion>();
    const a = cached(
      model(() => gate.promise),
      new ResponseCache(dir, "read-write"),
      inflight,
    ).complete(request());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = model(() => completion("own answer"));
    const b = cached(second, new ResponseCache(dir, "read-write"), inflight).complete(request());
    gate.reject(new Error("endpoint down"));
    await expect(a).rejects.toThrow("endpoint down");
    expect(await b).toMatchObject({ text: "own answer", cached: false });
    expect(second.requests).toHaveLength(1);
  });
});

describe("budgeted", () => {
  const price = (tokensIn: number, tokensOut: number) => (tokensIn + 2 * tokensOut) / 1000;

  it("records every call in each ledger, with its priced cost, retries and cache hits", async () => {
    const run = new Ledger();
    const batch = new Ledger();
    const accounted = budgeted(
      model((_, n) => completion("a", { attempts: n === 1 ? 3 : 0, cached: n === 2 })),
      [run, batch],
      price,
    );
    await accounted.complete(request());
    await accounted.complete(request({}, "g1-a2"));
    for (const ledger of [run, batch]) {
      expect(ledger.run).toMatchObject({
        calls: 2,
        tokensIn: 20,
        tokensOut: 10,
        cost: 0.04,
        spent: 0.02,
        cacheHits: 1,
        retries: 2,
      });
      expect(ledger.agent(2, "g1-a2")).toMatchObject({ calls: 1, cacheHits: 1 });
    }
  });

  it("stops at a cap before asking, and gives back the slots it took", async () => {
    const run = new Ledger({ maxCalls: 1 });
    const inner = model();
    await expect(
      budgeted(inner, [run, new Ledger({ maxCalls: 0 })], price).complete(request()),
    ).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(inner.requests).toHaveLength(0);
    // The run's slot was released: its one call may still be made.
    await budgeted(inner, [run], price).complete(request());
    await expect(budgeted(inner, [run], price).complete(request())).rejects.toThrow(
      "max-calls cap of 1 reached",
    );
  });

  it("counts a prompt refused before sending as context exceeded, not as a call", async () => {
    const run = new Ledger();
    const failure = { kind: "context-exceeded" as const, message: "does not fit" };
    await budgeted(
      model(() => completion("", { tokensIn: 0, tokensOut: 0, attempts: 0, failure })),
      [run],
      price,
    ).complete(request({ unfit: "does not fit" }));
    expect(run.run).toMatchObject({ calls: 0, contextExceeded: 1 });
  });

  it("records nothing for a call that failed, and releases its slot", async () => {
    const run = new Ledger({ maxCalls: 1 });
    await expect(
      budgeted(
        model(() => Promise.reject(new Error("down"))),
        [run],
        price,
      ).complete(request()),
    ).rejects.toThrow("down");
    expect(run.run.calls).toBe(0);
    await budgeted(model(), [run], price).complete(request());
    expect(run.run.calls).toBe(1);
  });

  it("checks the cost cap again just before sending", async () => {
    const run = new Ledger({ maxCost: 0.01 });
    const inner = model();
    const sending = withinCostCap(inner, [run]);
    await sending.complete(request());
    run.record({
      agentId: "g1-a1",
      generation: 1,
      tokensIn: 1,
      tokensOut: 1,
      cost: 0.01,
      cached: false,
      retries: 0,
      sent: true,
      truncated: false,
      contextExceeded: false,
    });
    await expect(sending.complete(request())).rejects.toThrow(/max-cost cap of \$0\.01 reached/);
    expect(inner.requests).toHaveLength(1);
  });
});

describe("refusingUnfit", () => {
  it("answers a prompt that cannot fit with its failure, never asking", async () => {
    const inner = model();
    const guard = refusingUnfit(inner);
    expect(
      await guard.complete(request({ unfit: "prompt of about 900 tokens does not fit" })),
    ).toEqual({
      text: "",
      tokensIn: 0,
      tokensOut: 0,
      finishReason: null,
      failure: { kind: "context-exceeded", message: "prompt of about 900 tokens does not fit" },
      attempts: 0,
      cached: false,
    });
    expect(inner.requests).toHaveLength(0);
    expect(await guard.complete(request())).toEqual(completion("an answer"));
  });
});

describe("rateLimited", () => {
  it("acquires the prompt's size plus maxTokens, then settles with the reported usage", async () => {
    const log: unknown[][] = [];
    const limiter: RateLimiter = {
      acquire: async (profile, tokens) => void log.push(["acquire", profile, tokens]),
      settle: (profile, estimated, actual) => void log.push(["settle", profile, estimated, actual]),
    };
    // 26 characters: 7 tokens, plus 64 for the answer.
    await rateLimited(model(), limiter, "p", 64).complete(request());
    expect(log).toEqual([
      ["acquire", "p", 71],
      ["settle", "p", 71, 15],
    ]);
  });

  it("waits for the limiter before asking", async () => {
    const gate = deferred<void>();
    const inner = model();
    const pending = rateLimited(inner, { acquire: () => gate.promise }, "p", undefined).complete(
      request(),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(inner.requests).toHaveLength(0);
    gate.resolve();
    await pending;
    expect(inner.requests).toHaveLength(1);
  });
});

describe("concurrencyLimited", () => {
  it("keeps the calls of several runs within the batch's limit, inside each run's", async () => {
    let active = 0;
    let peak = 0;
    const inner = model(async () => {
      peak = Math.max(peak, ++active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return completion("a");
    });
    const batch = pLimit(2);
    const runs = [
      concurrencyLimited(inner, [pLimit(3), batch]),
      concurrencyLimited(inner, [pLimit(3), batch]),
    ];
    await Promise.all(
      runs.flatMap((run) => Array.from({ length: 4 }, () => run.complete(request()))),
    );
    expect(inner.requests).toHaveLength(8);
    expect(peak).toBe(2);

    peak = 0;
    await Promise.all(
      Array.from({ length: 4 }, () => concurrencyLimited(inner, [pLimit(1)]).complete(request())),
    );
    expect(peak).toBe(4);
  });
});

describe("retrying", () => {
  const noWait = { sleep: async () => {} };

  it("retries transient failures and counts the attempts", async () => {
    const retries: unknown[] = [];
    const inner = model((_, n) => (n < 3 ? Promise.reject(httpError(503)) : completion("at last")));
    const answer = await retrying(inner, {
      maxRetries: 5,
      ...noWait,
      onRetry: ({ request: r, attempt }) => retries.push([r.call.agentId, attempt]),
    }).complete(request());
    expect(answer).toEqual(completion("at last", { attempts: 3 }));
    expect(retries).toEqual([
      ["g1-a1", 1],
      ["g1-a1", 2],
    ]);
  });

  it("gives up at once on a 4xx, and after maxRetries on transient failures, with the attempts made", async () => {
    const giveUp = (error: unknown, attempts: number) =>
      new Error(`${(error as Error).message} after ${attempts}`);
    await expect(
      retrying(
        model(() => Promise.reject(httpError(401))),
        { maxRetries: 5, ...noWait, giveUp },
      ).complete(request()),
    ).rejects.toThrow("401 status code after 1");
    await expect(
      retrying(
        model(() => Promise.reject(httpError(503))),
        { maxRetries: 2, ...noWait, giveUp },
      ).complete(request()),
    ).rejects.toThrow("503 status code after 3");
    await expect(
      retrying(
        model(() => Promise.reject(httpError(503))),
        { maxRetries: 0, ...noWait },
      ).complete(request()),
    ).rejects.toThrow("503 status code");
  });
});

describe("standIn", () => {
  it("lets a policy answer from the call's state, with token estimates and no attempts", async () => {
    const seen: MindCallRequest[] = [];
    const policy = async (call: MindCallRequest) => {
      seen.push(call);
      return "policy answer";
    };
    expect(await standIn(policy, 100).complete(request())).toEqual({
      text: "policy answer",
      tokensIn: 7,
      tokensOut: 100,
      finishReason: "stop",
      attempts: 0,
      cached: false,
    });
    expect((await standIn(policy, undefined).complete(request())).tokensOut).toBe(4);
    expect(seen[0]!.state).toEqual({ fox: true });
  });
});

describe("lazily", () => {
  it("builds the model at the first call, and again after a failed build", async () => {
    let builds = 0;
    const built = lazily(() => {
      builds++;
      if (builds === 1)
        throw new Error("profiles.p.apiKeyEnv: environment variable KEY is not set");
      return model();
    });
    expect(builds).toBe(0);
    await expect(built.complete(request())).rejects.toThrow(/KEY is not set/);
    await built.complete(request());
    await built.complete(request());
    expect(builds).toBe(2);
  });
});

describe("ChatCompletionsEndpoint", () => {
  async function serve(script: Script): Promise<FakeOpenAI> {
    const server = await startFakeOpenAI({ script });
    servers.push(server);
    return server;
  }
  const SECRET = "sk-echoed-SECRET-123456";
  const profileAt = (baseURL: string) =>
    profileSchema.parse({ model: "m", baseURL, apiKeyEnv: "WRAPPER_KEY", maxTokens: 32, seed: 5 });

  it("sends the messages, seed and schema, and reads text, usage and finish reason", async () => {
    const server = await serve(() => ({
      content: '{"a":1}',
      usage: { prompt_tokens: 11, completion_tokens: 3 },
      finishReason: "length",
    }));
    const endpoint = new ChatCompletionsEndpoint("p", profileAt(server.baseURL), {
      WRAPPER_KEY: SECRET,
    });
    const format = {
      name: "a",
      schema: {
        type: "object",
        properties: { a: { type: "number" } },
        required: ["a"],
        additionalProperties: false,
      },
    };
    expect(await endpoint.complete(request({ seed: 77, format }))).toEqual({
      text: '{"a":1}',
      tokensIn: 11,
      tokensOut: 3,
      finishReason: "length",
      attempts: 1,
      cached: false,
    });
    const [sent] = server.requests;
    expect(sent!.messages).toEqual([{ role: "user", content: "Retell: a fox found a key." }]);
    expect(sent!.body).toMatchObject({
      seed: 77,
      response_format: { type: "json_schema", json_schema: { name: "a", strict: true } },
    });
  });

  it("returns a context-exceeded refusal as the answer's failure, without the key it echoes", async () => {
    const server = await serve(() => ({
      status: 400,
      body: {
        error: {
          message: `maximum context length is 8192 tokens (key ${SECRET})`,
          type: "invalid_request_error",
          code: "context_length_exceeded",
        },
      },
    }));
    const answer = await new ChatCompletionsEndpoint("p", profileAt(server.baseURL), {
      WRAPPER_KEY: SECRET,
    }).complete(request());
    expect(answer).toMatchObject({
      text: "",
      tokensIn: 0,
      tokensOut: 0,
      finishReason: null,
      attempts: 1,
      failure: { kind: "context-exceeded" },
    });
    expect(answer.failure!.message).toContain("maximum context length");
    expect(answer.failure!.message).toContain("[p key]");
    expect(answer.failure!.message).not.toContain(SECRET);
  });

  it("throws any other error as raised, for the retry loop to judge; endpointFailure explains it", async () => {
    const server = await serve(() => ({
      status: 503,
      body: { error: { message: `overloaded, key ${SECRET}` } },
    }));
    const profile = profileAt(server.baseURL);
    const error = await new ChatCompletionsEndpoint("p", profile, { WRAPPER_KEY: SECRET })
      .complete(request())
      .catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(503);
    const explained = endpointFailure(
      "p",
      profile,
      keyRedactor("p", profile, { WRAPPER_KEY: SECRET }),
    )(error, 7) as Error & {
      status?: number;
    };
    expect(explained.name).toBe("EndpointError");
    expect(explained.status).toBe(503);
    expect(explained.message).toBe(
      `profile "p" (model m): POST ${server.baseURL}/chat/completions failed after 7 attempts: 503 overloaded, key [p key]`,
    );
  });

  it("needs its API key when built", () => {
    expect(() => new ChatCompletionsEndpoint("p", profileAt("http://127.0.0.1:9/v1"), {})).toThrow(
      "profiles.p.apiKeyEnv: environment variable WRAPPER_KEY is not set",
    );
  });
});
