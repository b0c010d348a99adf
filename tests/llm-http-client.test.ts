/**
 * The LLM client's transport and default concurrency: keepAliveFetch (node:http on kept-alive
 * connections, what every profile's OpenAI client sends through) against a plain HTTP server, and
 * a run's default llm.maxConcurrency letting a debate round's independent calls go together while a
 * profile's rpm still paces them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pLimit from "p-limit";
import { afterEach, describe, expect, it } from "vitest";
import { keepAliveFetch } from "../agents/http-client.js";
import { Ledger } from "../agents/ledger.js";
import { MindRuntime } from "../agents/mind-runtime.js";
import { LocalRateLimiter } from "../agents/rate-limit.js";
import { ResponseCache } from "../agents/response-cache.js";
import { builtinScenarios } from "../sim/app/scenarios.js";
import { resolveConfig } from "../sim/core/config.js";
import { profileSchema } from "../sim/core/profile.js";
import { Rng } from "../sim/core/rng.js";
import { startFakeOpenAI, type FakeOpenAI, type Script } from "./support/fake-openai.js";
import { tempDir } from "./support/llm-helpers.js";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A plain HTTP server counting the TCP connections it accepted. */
async function plainServer(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ url: string; connections: () => number; server: Server }> {
  let connections = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => handle(req, body, res));
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => connections, server };
}

describe("keepAliveFetch", () => {
  it("returns the server's status, headers and body, sending every request over one connection", async () => {
    const seen: { method?: string; auth?: string; body: string }[] = [];
    const server = await plainServer((req, body, res) => {
      seen.push({ method: req.method, auth: req.headers.authorization, body });
      res.writeHead(201, "Made", { "content-type": "application/json", "x-request-id": "r-1" });
      res.end(JSON.stringify({ echo: JSON.parse(body) as unknown }));
    });
    const fetch = keepAliveFetch();
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: new Headers({ authorization: "Bearer k", "content-type": "application/json" }),
        body: JSON.stringify({ i }),
      });
      expect(response.status).toBe(201);
      expect(response.statusText).toBe("Made");
      expect(response.ok).toBe(true);
      expect(response.headers.get("x-request-id")).toBe("r-1");
      expect(await response.json()).toEqual({ echo: { i } });
    }
    expect(seen).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ method: "POST", auth: "Bearer k", body: `{"i":${i}}` })),
    );
    expect(server.connections()).toBe(1);
  });

  it("gives a 204 no body, and an error status its body", async () => {
    const server = await plainServer((req, _body, res) => {
      if (req.url === "/empty") {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(429, { "retry-after": "3", "content-type": "text/plain" });
        res.end("slow down");
      }
    });
    const fetch = keepAliveFetch();
    const empty = await fetch(`${server.url}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const limited = await fetch(new URL(`${server.url}/limited`));
    expect(limited.ok).toBe(false);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await limited.text()).toBe("slow down");
  });

  it("joins repeated headers as fetch does, and reads a body once, as text, JSON or a stream", async () => {
    const server = await plainServer((_req, _body, res) => {
      res.setHeader("x-many", ["a", "b"]);
      res.setHeader("Content-Type", "application/json");
      res.end('{"answer":42}');
    });
    const fetch = keepAliveFetch();
    const first = await fetch(server.url);
    expect(first.headers.get("X-Many")).toBe("a, b");
    expect(new Headers(first.headers).get("content-type")).toBe("application/json");
    expect(first.bodyUsed).toBe(false);
    expect(await first.json()).toEqual({ answer: 42 });
    expect(first.bodyUsed).toBe(true);
    await expect(first.text()).rejects.toThrow(/already been read/);

    const second = await fetch(server.url);
    expect(await new Response(second.body).text()).toBe('{"answer":42}');
    expect(second.bodyUsed).toBe(true);
  });

  it("rejects with an AbortError when its signal aborts, and names a body it cannot send", async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const server = await plainServer(() => arrived()); // never answers
    const controller = new AbortController();
    const pending = keepAliveFetch()(`${server.url}/hang`, { signal: controller.signal });
    await arrival;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });

    const stream = new ReadableStream<Uint8Array>();
    await expect(
      keepAliveFetch()(`${server.url}/x`, {
        method: "POST",
        body: stream,
        duplex: "half",
      } as never),
    ).rejects.toThrow(/keepAliveFetch: a request body must be a string or bytes/);
  });
});

describe("default llm.maxConcurrency", () => {
  const call = (minds: MindRuntime, i: number) =>
    minds.call(
      {
        agentId: `a${i}`,
        mind: { kind: "llm", profile: "p" },
        purpose: "answer",
        messages: [{ role: "user", content: `Question ${i % 100}: what is 6 x 7?` }],
        state: {},
        rng: new Rng(i),
        t: { generation: 1, step: 0 },
      },
      () => undefined,
    );

  async function fake(script: Script): Promise<FakeOpenAI> {
    const server = await startFakeOpenAI({ script });
    closers.push(() => server.close());
    return server;
  }

  async function defaultConcurrency(): Promise<number> {
    const raw = {
      scenario: "debate",
      profiles: { p: { model: "m", baseURL: "http://127.0.0.1:9/v1" } },
      population: { size: 3, minds: [{ count: 3, profile: "p" }] },
      debate: { setup: "n-agent", questions: { generator: "arithmetic", count: 100 } },
    };
    return resolveConfig(raw, await builtinScenarios()).config.llm.maxConcurrency;
  }

  function runtime(
    baseURL: string,
    maxConcurrency: number,
    rateLimiter?: LocalRateLimiter,
  ): MindRuntime {
    const cache = tempDir("llm-concurrency");
    closers.push(cache.cleanup);
    return new MindRuntime({
      profiles: { p: profileSchema.parse({ model: "m", baseURL, maxRetries: 0 }) },
      policies: {},
      cache: new ResponseCache(cache.path, "off"),
      ledger: new Ledger(),
      runSeed: 1,
      maxConcurrency,
      transcripts: false,
      ...(rateLimiter
        ? {
            shared: { limit: pLimit(maxConcurrency), rateLimiter, inflight: new Map() },
          }
        : {}),
    });
  }

  it("has a round of a 100-question, 3-agent debate (300 calls) in flight at once", async () => {
    const maxConcurrency = await defaultConcurrency();
    let waiting = 0;
    let release!: () => void;
    const all = new Promise<void>((resolve) => (release = resolve));
    // Nobody is answered until all 300 asked: with a lower limit the run would wait forever.
    const server = await fake(async () => {
      if (++waiting === 300) release();
      await all;
      return "Answer: 42";
    });
    const minds = runtime(server.baseURL, maxConcurrency);
    const answers = Promise.all(Array.from({ length: 300 }, (_, i) => call(minds, i)));
    const outcome = await Promise.race([
      answers.then(() => "answered"),
      new Promise((resolve) => setTimeout(() => resolve(`only ${waiting} in flight`), 10_000)),
    ]);
    expect(outcome).toBe("answered");
    expect(server.requests).toHaveLength(300);
  });

  it("still sends no more than a profile's rpm allows", async () => {
    const server = await fake(() => "Answer: 42");
    // Time stands still: after the first minute's burst of 5 nobody may send again.
    const frozen = { now: () => 0, sleep: () => new Promise<void>(() => undefined) };
    const minds = runtime(
      server.baseURL,
      await defaultConcurrency(),
      new LocalRateLimiter({ p: { rpm: 5 } }, frozen),
    );
    const answered: number[] = [];
    for (let i = 0; i < 40; i++) void call(minds, i).then(() => answered.push(i));
    while (answered.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests).toHaveLength(5);
    expect(answered).toHaveLength(5);
  });
});
