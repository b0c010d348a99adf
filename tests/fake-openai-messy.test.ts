import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { ChatOpenAI } from "@langchain/openai";
import { inspect } from "node:util";
import {
  contextExceeded,
  messyScript,
  startFakeOpenAI,
  type FakeOpenAI,
  type InferenceServer,
  type MessyOptions,
} from "./support/fake-openai.js";

interface Completion {
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

const post = (body: Record<string, unknown>, f: FakeOpenAI = fake) =>
  fetch(`${f.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
  });

async function complete(body: Record<string, unknown>, f: FakeOpenAI = fake): Promise<Completion> {
  const res = await post(body, f);
  expect(res.status).toBe(200);
  return (await res.json()) as Completion;
}

/** The four servers' default context-overflow bodies, as documented. */
const EXPECTED_BODIES: Record<InferenceServer, unknown> = {
  openai: {
    error: {
      message:
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  },
  vllm: {
    object: "error",
    message:
      "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens (1100 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
    type: "BadRequestError",
    param: null,
    code: 400,
  },
  "llama.cpp": {
    error: {
      code: 400,
      message: "the request exceeds the available context size, try increasing it",
      type: "exceed_context_size_error",
      n_prompt_tokens: 4200,
      n_ctx: 4096,
    },
  },
  ollama: {
    error: {
      message: "prompt too long; exceeded max context length by 52 tokens",
      type: "api_error",
      param: null,
      code: null,
    },
  },
};

const text = (c: Completion) => c.choices[0]!.message.content;
const wordCount = (s: string) => s.split(/\s+/).filter(Boolean).length;
const use = (options: MessyOptions) => fake.setScript(messyScript(options));

function chatModel(maxTokens?: number): ChatOpenAI {
  return new ChatOpenAI({
    model: "m",
    apiKey: "x",
    configuration: { baseURL: fake.baseURL },
    maxRetries: 0,
    maxTokens,
  });
}

describe("messyScript", () => {
  it("never-stop always fills max_tokens and reports finish_reason length", async () => {
    use({ seed: 1, mode: "never-stop" });
    for (const cap of [1, 7, 30]) {
      const c = await complete({ max_tokens: cap });
      expect(c.choices[0]!.finish_reason).toBe("length");
      expect(wordCount(text(c))).toBe(cap);
      expect(c.usage.completion_tokens).toBe(cap);
    }
    // max_completion_tokens counts too; without either, maxTokensDefault applies.
    expect(wordCount(text(await complete({ max_completion_tokens: 4 })))).toBe(4);
    use({ seed: 1, mode: "never-stop", maxTokensDefault: 9 });
    expect(wordCount(text(await complete({})))).toBe(9);
  });

  it("rambling stays under the cap and says length only when it hits it", async () => {
    use({ seed: 2 });
    const finishes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const c = await complete({ max_tokens: 6 });
      const n = wordCount(text(c));
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(6);
      expect(c.choices[0]!.finish_reason).toBe(n === 6 ? "length" : "stop");
      expect(text(c)).toMatch(/^[a-z0-9 ]+$/);
      expect(c.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: n });
      finishes.add(c.choices[0]!.finish_reason);
    }
    expect(finishes).toEqual(new Set(["length", "stop"]));
  });

  it("identical bodies without a seed get different texts", async () => {
    use({ seed: 3, mode: "never-stop" });
    const texts = new Set<string>();
    for (let i = 0; i < 10; i++) texts.add(text(await complete({ max_tokens: 8 })));
    expect(texts.size).toBe(10);
  });

  it("the script's own seed makes a run reproducible", async () => {
    const run = async () => {
      const f = await startFakeOpenAI({ script: messyScript({ seed: 4, mode: "varied" }) });
      try {
        const out: string[] = [];
        for (let i = 0; i < 5; i++) out.push(text(await complete({}, f)));
        return out;
      } finally {
        await f.close();
      }
    };
    expect(await run()).toEqual(await run());
  });

  it("a request seed makes the reply a function of (seed, messages) only", async () => {
    use({ seed: 5 });
    const a = text(await complete({ seed: 42, max_tokens: 20 }));
    expect(text(await complete({ seed: 42, max_tokens: 20 }))).toBe(a);
    // Neither the request index nor the script's seed matters.
    use({ seed: 999 });
    expect(text(await complete({ seed: 42, max_tokens: 20 }))).toBe(a);
    expect(text(await complete({ seed: 43, max_tokens: 20 }))).not.toBe(a);
    const other = [{ role: "user", content: "hello" }];
    expect(text(await complete({ seed: 42, max_tokens: 20, messages: other }))).not.toBe(a);
  });

  it("varied gives plausible but different answers", async () => {
    use({ seed: 6, mode: "varied" });
    const texts: string[] = [];
    for (let i = 0; i < 40; i++) {
      const c = await complete({ max_tokens: 100 });
      expect(c.choices[0]!.finish_reason).toBe("stop");
      texts.push(text(c));
    }
    expect(texts.some((t) => /\nAnswer: (10|[0-9])$/.test(t))).toBe(true);
    expect(texts.some((t) => t.startsWith("My strategy will be "))).toBe(true);
    expect(texts.some((t) => /^The answer is (10|[0-9])\.$/.test(t))).toBe(true);
    expect(new Set(texts).size).toBeGreaterThan(30);
  });

  it("contextWindow rejects only prompts that do not fit", async () => {
    use({ seed: 7, contextWindow: 100 });
    expect((await post({ max_tokens: 10 })).status).toBe(200);

    // 360 chars = 90 tokens; 90 + 20 > 100.
    const long = [{ role: "user", content: "x".repeat(360) }];
    expect((await post({ messages: long, max_tokens: 5 })).status).toBe(200);
    const res = await post({ messages: long, max_tokens: 20 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: 400,
        message: "the request exceeds the available context size, try increasing it",
        type: "exceed_context_size_error",
        n_prompt_tokens: 90,
        n_ctx: 100,
      },
    });

    use({ seed: 7, contextWindow: 100, server: "openai" });
    const big = [{ role: "user", content: "x".repeat(800) }];
    const openai = await post({ messages: big });
    expect(openai.status).toBe(400);
    expect(((await openai.json()) as { error: { message: string } }).error.message).toBe(
      "This model's maximum context length is 100 tokens. However, your messages resulted in 200 tokens. Please reduce the length of the messages.",
    );
  });
});

describe("raw bytes and finish reasons", () => {
  it("sends rawContent bytes verbatim", async () => {
    fake.setScript(() => ({ content: "??A", rawContent: Buffer.from([0xff, 0xfe, 0x41]) }));
    const bytes = Buffer.from(await (await post({})).arrayBuffer());
    expect(bytes.includes(Buffer.from([0xff, 0xfe, 0x41]))).toBe(true);

    const res = await post({});
    const decoded = await res.text();
    expect(decoded).toContain("\uFFFD");
    const body = JSON.parse(decoded) as Completion;
    expect(text(body)).toBe("\uFFFD\uFFFDA");
    expect(body.usage.completion_tokens).toBe(1); // from `content`
  });

  it("escapes quotes, backslashes and control bytes inside rawContent", async () => {
    fake.setScript(() => ({
      content: "x",
      rawContent: Buffer.from([0x22, 0x5c, 0x0a, 0x00, 0xc3]),
    }));
    const body = JSON.parse(await (await post({})).text()) as Completion;
    expect(text(body)).toBe('"\\\n\u0000\uFFFD');
  });

  it("streams rawContent and finishReason", async () => {
    fake.setScript(() => ({
      content: "x",
      rawContent: Buffer.from([0xff, 0x41]),
      finishReason: "length",
    }));
    const res = await post({ stream: true });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.includes(Buffer.from([0xff, 0x41]))).toBe(true);
    const events = bytes
      .toString("utf8")
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map(
        (e) =>
          JSON.parse(e.slice(6)) as {
            choices: { delta: { content?: string }; finish_reason: string | null }[];
          },
      );
    expect(events.map((e) => e.choices[0]!.delta.content ?? "").join("")).toBe("\uFFFDA");
    expect(events.at(-1)!.choices[0]!.finish_reason).toBe("length");
  });

  it("sends a custom finishReason and defaults to stop", async () => {
    fake.setScript(() => ({ content: "cut", finishReason: "length" }));
    expect((await complete({})).choices[0]!.finish_reason).toBe("length");
    fake.setScript(() => ({ content: "whole" }));
    expect((await complete({})).choices[0]!.finish_reason).toBe("stop");
  });
});

describe("contextExceeded", () => {
  for (const server of Object.keys(EXPECTED_BODIES) as InferenceServer[]) {
    it(`sends ${server}'s wording and body shape with status 400`, async () => {
      fake.setScript(() => contextExceeded(server));
      const res = await post({});
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(EXPECTED_BODIES[server]);
    });
  }

  it("fills the numbers from info", async () => {
    const message = async (server: InferenceServer) => {
      fake.setScript(() => contextExceeded(server, { prompt: 5000, limit: 4096 }));
      return JSON.stringify(await (await post({})).json());
    };
    expect(await message("openai")).toContain(
      "maximum context length is 4096 tokens. However, your messages resulted in 5000 tokens.",
    );
    expect(await message("vllm")).toContain(
      "you requested 6000 tokens (5000 in the messages, 1000 in the completion)",
    );
    expect(await message("llama.cpp")).toContain('"n_prompt_tokens":5000,"n_ctx":4096');
    expect(await message("ollama")).toContain("exceeded max context length by 904 tokens");
  });
});

describe("through LangChain", () => {
  it("exposes finish_reason length in response_metadata", async () => {
    use({ seed: 8, mode: "never-stop" });
    const reply = await chatModel(5).invoke([{ role: "user", content: "hi" }]);
    console.log("never-stop response_metadata:", inspect(reply.response_metadata, { depth: 4 }));
    expect(reply.response_metadata.finish_reason).toBe("length");
    expect(wordCount(reply.content as string)).toBe(5);
    expect(reply.usage_metadata).toMatchObject({ output_tokens: 5 });
    expect(fake.requests.at(-1)!.body.max_tokens).toBe(5);
  });

  it("exposes finish_reason length when streaming too", async () => {
    use({ seed: 8, mode: "never-stop" });
    const finishes: unknown[] = [];
    for await (const chunk of await chatModel(3).stream("hi"))
      finishes.push(chunk.response_metadata.finish_reason);
    expect(finishes).toContain("length");
  });

  // What a context-overflow detector sees: recorded here so a change in LangChain/OpenAI SDK shows
  // up.
  type Observed = Error & {
    status?: unknown;
    error?: unknown;
    code?: unknown;
    lc_error_code?: unknown;
    cause?: Observed;
  };
  async function thrown(server: InferenceServer): Promise<Observed> {
    fake.setScript(() => contextExceeded(server));
    try {
      await chatModel().invoke("hi");
    } catch (err) {
      const e = err as Observed;
      console.log(server, e.constructor.name, {
        status: e.status,
        message: e.message,
        error: e.error,
        lc_error_code: e.lc_error_code,
      });
      return e;
    }
    throw new Error("expected a rejection");
  }

  it("openai's body becomes a ContextOverflowError wrapping the BadRequestError", async () => {
    const err = await thrown("openai");
    expect(err.constructor.name).toBe("ContextOverflowError");
    expect(err.status).toBeUndefined();
    expect("error" in err).toBe(false);
    expect("lc_error_code" in err).toBe(false);
    expect(err.message).toBe(
      `400 ${(EXPECTED_BODIES.openai as { error: { message: string } }).error.message}`,
    );
    expect(err.cause?.constructor.name).toBe("BadRequestError");
    expect(err.cause?.status).toBe(400);
    expect(err.cause?.code).toBe("context_length_exceeded");
    expect(err.cause?.error).toEqual((EXPECTED_BODIES.openai as { error: unknown }).error);
  });

  it("vllm's flat body loses its message in the OpenAI SDK", async () => {
    const err = await thrown("vllm");
    expect(err.constructor.name).toBe("BadRequestError");
    expect(err.status).toBe(400);
    expect(err.message).toBe("400 status code (no body)");
    expect("error" in err).toBe(true);
    expect(err.error).toBeUndefined();
    expect("lc_error_code" in err).toBe(false);
  });

  it("llama.cpp and ollama bodies stay plain BadRequestErrors", async () => {
    for (const server of ["llama.cpp", "ollama"] as const) {
      const err = await thrown(server);
      expect(err.constructor.name).toBe("BadRequestError");
      expect(err.status).toBe(400);
      expect(err.error).toEqual((EXPECTED_BODIES[server] as { error: unknown }).error);
      expect(err.message).toBe(
        `400 ${(EXPECTED_BODIES[server] as { error: { message: string } }).error.message}`,
      );
    }
  });
});
