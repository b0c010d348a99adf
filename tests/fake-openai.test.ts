import { afterEach, describe, expect, it } from "vitest";
import { ChatOpenAI } from "@langchain/openai";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import {
  DEFAULT_CONTENT,
  startFakeOpenAI,
  type FakeOpenAI,
  type Reply,
} from "./support/fake-openai.js";

type ObservedError = Error & {
  status?: unknown;
  headers?: unknown;
  lc_error_code?: unknown;
  retryAfterMs?: unknown;
  cause?: { name?: string; message?: string; cause?: { code?: string } };
};

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts?: Parameters<typeof startFakeOpenAI>[0]): Promise<FakeOpenAI> {
  fake = await startFakeOpenAI(opts);
  return fake;
}

function model(f: FakeOpenAI, extra: { timeout?: number } = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: "test-model",
    apiKey: "sk-test",
    configuration: { baseURL: f.baseURL },
    maxRetries: 0,
    ...extra,
  });
}

async function rejection(p: Promise<unknown>): Promise<ObservedError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as ObservedError;
  }
  throw new Error("expected the promise to reject");
}

const always = (reply: Reply) => () => reply;

describe("fake OpenAI server via ChatOpenAI", () => {
  it("returns a plain reply with usage metadata and records the request", async () => {
    const f = await start({ script: always("Hello world!") });
    const res = await model(f).invoke([
      new SystemMessage("You are a judge."),
      new HumanMessage("Rate this."),
    ]);

    expect(res.content).toBe("Hello world!");
    // prompt: ceil((16 + 10) / 4) = 7; completion: ceil(12 / 4) = 3
    expect(res.usage_metadata).toMatchObject({
      input_tokens: 7,
      output_tokens: 3,
      total_tokens: 10,
    });

    expect(f.requests).toHaveLength(1);
    const rec = f.requests[0]!;
    expect(rec.model).toBe("test-model");
    expect(rec.messages).toEqual([
      { role: "system", content: "You are a judge." },
      { role: "user", content: "Rate this." },
    ]);
    expect(rec.body.model).toBe("test-model");
    expect(rec.headers.authorization).toBe("Bearer sk-test");
    expect(typeof rec.receivedAt).toBe("number");
  });

  it("uses the default script and honours explicit usage", async () => {
    const f = await start();
    expect((await model(f).invoke("hi")).content).toBe(DEFAULT_CONTENT);

    f.setScript(always({ content: "ok", usage: { prompt_tokens: 100, completion_tokens: 20 } }));
    const res = await model(f).invoke("hi");
    expect(res.usage_metadata).toMatchObject({
      input_tokens: 100,
      output_tokens: 20,
      total_tokens: 120,
    });
  });

  it("records requests in arrival order and passes the arrival index", async () => {
    const seen: number[] = [];
    const f = await start({
      script: (req, index) => {
        seen.push(index);
        return `reply ${index}: ${req.messages[0]?.content}`;
      },
    });
    const m = model(f);
    for (const text of ["a", "b", "c"]) await m.invoke(text);
    expect(seen).toEqual([0, 1, 2]);
    expect(f.requests.map((r) => r.messages[0]?.content)).toEqual(["a", "b", "c"]);
  });

  it("flattens multi-part message content to text", async () => {
    const f = await start();
    await model(f).invoke([
      new HumanMessage({
        content: [
          { type: "text", text: "part one" },
          { type: "text", text: "part two" },
        ],
      }),
    ]);
    expect(f.requests[0]!.messages).toEqual([{ role: "user", content: "part one\npart two" }]);
  });

  it("streams SSE chunks with a final usage chunk", async () => {
    const f = await start({ script: always("one two three") });
    let text = "";
    let usage: unknown;
    for await (const chunk of await model(f).stream("hello")) {
      text += chunk.content as string;
      usage = chunk.usage_metadata ?? usage;
    }
    expect(text).toBe("one two three");
    expect(f.requests[0]!.body.stream).toBe(true);
    // prompt: ceil(5 / 4) = 2; completion: ceil(13 / 4) = 4
    expect(usage).toMatchObject({ input_tokens: 2, output_tokens: 4, total_tokens: 6 });
  });

  it("surfaces a 500 as an InternalServerError with status 500", async () => {
    const f = await start({ script: always({ status: 500 }) });
    const err = await rejection(model(f).invoke("hi"));
    expect(err.constructor.name).toBe("InternalServerError");
    expect(err.status).toBe(500);
    expect(err.message).toBe("500 The server had an error while processing your request.");
  });

  it("surfaces a 429 with its Retry-After header", async () => {
    const f = await start({ script: always({ status: 429, headers: { "Retry-After": "1" } }) });
    const err = await rejection(model(f).invoke("hi"));
    expect(err.constructor.name).toBe("RateLimitError");
    expect(err.status).toBe(429);
    expect(err.headers).toBeInstanceOf(Headers);
    expect((err.headers as Headers).get("retry-after")).toBe("1");
    expect(err.lc_error_code).toBe("MODEL_RATE_LIMIT");
    expect(err.retryAfterMs).toBe(1000);
    expect(err.message).toMatch(/^429 Rate limit reached for requests/);
  });

  it("times out on a hanging reply and still closes cleanly", async () => {
    const f = await start({ script: always({ hang: true }) });
    const err = await rejection(model(f, { timeout: 300 }).invoke("hi"));
    expect(err.constructor).toBe(Error);
    expect(err.name).toBe("TimeoutError");
    expect(err.message).toBe("Request timed out.");
    expect(f.requests).toHaveLength(1);
    await f.close();
  });

  it("closes while a client is still waiting on a hanging reply", async () => {
    const f = await start({ script: always({ hang: true }) });
    const pending = rejection(model(f).invoke("hi"));
    while (f.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await f.close();
    const err = await pending;
    expect(err.constructor.name).toBe("APIConnectionError");
  });

  it("rejects a malformed body with a SyntaxError", async () => {
    const f = await start({ script: always({ malformed: "not json{" }) });
    const err = await rejection(model(f).invoke("hi"));
    expect(err).toBeInstanceOf(SyntaxError);
    expect(err.status).toBeUndefined();
  });

  it("reports connection refused once the server is closed", async () => {
    const f = await start();
    await f.close();
    const err = await rejection(model(f).invoke("hi"));
    expect(err.constructor.name).toBe("APIConnectionError");
    expect(err.message).toBe("Connection error.");
    expect(err.status).toBeUndefined();
    expect(err.headers).toBeUndefined();
    expect(err.cause?.message).toBe("fetch failed");
    expect(err.cause?.cause?.code).toBe("ECONNREFUSED");
  });

  it("applies latencyMs plus a reply's delayMs (lower bound only)", async () => {
    const f = await start({ latencyMs: 150, script: always({ content: "slow", delayMs: 100 }) });
    const t0 = performance.now();
    await model(f).invoke("hi");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
  });

  it("a throwing script becomes a 500", async () => {
    const f = await start({
      script: () => {
        throw new Error("boom");
      },
    });
    const err = await rejection(model(f).invoke("hi"));
    expect(err.status).toBe(500);
    expect(err.message).toContain("boom");
  });
});

describe("fake OpenAI server over raw HTTP", () => {
  it("serves /v1/models and chat completions without the /v1 prefix", async () => {
    const f = await start();
    const models = (await (await fetch(`${f.baseURL}/models`)).json()) as {
      object: string;
      data: { id: string }[];
    };
    expect(models.object).toBe("list");
    expect(models.data[0]?.id).toBe("test-model");

    const res = await fetch(`http://127.0.0.1:${f.port}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "abcd" }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: "chatcmpl-fake-0",
      object: "chat.completion",
      created: expect.any(Number),
      model: "m",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: DEFAULT_CONTENT },
          finish_reason: "stop",
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 9, total_tokens: 10 },
    });
  });

  it("sends error replies in OpenAI's error shape with custom headers and bodies", async () => {
    const f = await start({ script: always({ status: 503, headers: { "x-test": "yes" } }) });
    const post = () =>
      fetch(`${f.baseURL}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "m", messages: [] }),
      });
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get("x-test")).toBe("yes");
    expect(await res.json()).toEqual({
      error: {
        message: "The server had an error while processing your request.",
        type: "server_error",
        code: null,
      },
    });

    f.setScript(always({ status: 502, body: "<html>bad gateway</html>" }));
    const raw = await post();
    expect(raw.status).toBe(502);
    expect(await raw.text()).toBe("<html>bad gateway</html>");
  });
});
