import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ChatRequestRecord {
  model: string;
  messages: { role: string; content: string }[];
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  receivedAt: number;
}

export type Reply =
  | string
  | {
      content: string;
      delayMs?: number;
      usage?: { prompt_tokens: number; completion_tokens: number };
      /** `choices[0].finish_reason` (and the final stream chunk's); "stop" unless set. */
      finishReason?: string;
      /**
       * Bytes to put verbatim in the message content (e.g. invalid UTF-8, as small models behind
       * real servers emit). Only `"`, `\` and control bytes are escaped. `content` still drives
       * token counts.
       */
      rawContent?: Buffer;
    }
  /**
   * Error reply. A string `body` is sent raw (text/plain unless `headers` says otherwise); other
   * bodies as JSON.
   */
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { hang: true }
  | { malformed: string };

export type Script = (req: ChatRequestRecord, index: number) => Reply | Promise<Reply>;

/** One POST /v1/embeddings request: its model and input texts. */
export interface EmbeddingRequestRecord {
  model: string;
  input: string[];
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The fake's embedding of a text: 27 letter counts (a-z, then everything else that is not white
 * space), so texts with the same letters embed identically and cosines are easy to compute by hand.
 */
export function fakeEmbedding(text: string): number[] {
  const vector = new Array<number>(27).fill(0);
  for (const ch of text.toLowerCase()) {
    if (/\s/.test(ch)) continue;
    const code = ch.charCodeAt(0) - 97;
    vector[code >= 0 && code < 26 ? code : 26]!++;
  }
  return vector;
}

export interface FakeOpenAI {
  baseURL: string;
  port: number;
  requests: ChatRequestRecord[];
  embeddingRequests: EmbeddingRequestRecord[];
  setScript(s: Script): void;
  close(): Promise<void>;
}

export const DEFAULT_CONTENT = "Justification: default.\nAnswer: 5";

const defaultScript: Script = () => DEFAULT_CONTENT;

export type InferenceServer = "openai" | "vllm" | "llama.cpp" | "ollama";

/**
 * The error each server really sends when the prompt (plus max_tokens) does not fit the context
 * window, with its own wording and body shape, so detectors can be tested against all of them.
 * `completion` is only used by vLLM's wording (and by Ollama's overflow when the prompt alone
 * fits).
 */
export function contextExceeded(
  server: InferenceServer,
  info: { prompt?: number; limit?: number; completion?: number } = {},
): Reply {
  switch (server) {
    case "openai": {
      const limit = info.limit ?? 8192;
      const prompt = info.prompt ?? 9000;
      return {
        status: 400,
        body: {
          error: {
            message: `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${prompt} tokens. Please reduce the length of the messages.`,
            type: "invalid_request_error",
            param: "messages",
            code: "context_length_exceeded",
          },
        },
      };
    }
    case "vllm": {
      const limit = info.limit ?? 2048;
      const prompt = info.prompt ?? 1100;
      const completion = info.completion ?? 1000;
      // vLLM's ErrorResponse is flat: no `error` wrapper, and `code` is the HTTP status.
      return {
        status: 400,
        body: {
          object: "error",
          message: `This model's maximum context length is ${limit} tokens. However, you requested ${prompt + completion} tokens (${prompt} in the messages, ${completion} in the completion). Please reduce the length of the messages or completion.`,
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      };
    }
    case "llama.cpp":
      return {
        status: 400,
        body: {
          error: {
            code: 400,
            message: "the request exceeds the available context size, try increasing it",
            type: "exceed_context_size_error",
            n_prompt_tokens: info.prompt ?? 4200,
            n_ctx: info.limit ?? 4096,
          },
        },
      };
    case "ollama": {
      const over =
        info.prompt !== undefined && info.limit !== undefined
          ? Math.max(1, info.prompt - info.limit, info.prompt + (info.completion ?? 0) - info.limit)
          : 52;
      return {
        status: 400,
        body: {
          error: {
            message: `prompt too long; exceeded max context length by ${over} tokens`,
            type: "api_error",
            param: null,
            code: null,
          },
        },
      };
    }
  }
}

/** Small seeded PRNG (mulberry32): reproducible replies without Math.random. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string, to turn (seed, messages) into a PRNG seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const MESSY_WORDS = (
  "the of and a to in is it that was for on are with as be at one have this from or had by word but what some " +
  "we can out other were all there when up use your how said an each she which do their time if will way about " +
  "many then them would write like so these her long make thing see him two has look more day could go come did"
).split(" ");

export interface MessyOptions {
  seed: number;
  /**
   * rambling: random words up to max_tokens; never-stop: always max_tokens words; varied: plausible
   * answers.
   */
  mode?: "rambling" | "never-stop" | "varied";
  /** Cap when the request has neither max_tokens nor max_completion_tokens (default 64). */
  maxTokensDefault?: number;
  /**
   * When set, prompts over the window (prompt tokens + max_tokens) get `contextExceeded(server)`.
   */
  contextWindow?: number;
  server?: InferenceServer;
}

/**
 * A script that behaves like a small random-weights model behind a real server: every reply
 * differs (sampling at temperature > 0), except that a numeric `seed` in the request makes the
 * reply a function of (seed, messages) only, as llama.cpp and vLLM do.
 */
export function messyScript(options: MessyOptions): Script {
  const mode = options.mode ?? "rambling";
  const master = mulberry32(options.seed);
  return (req, index) => {
    const prompt = Math.ceil(req.messages.reduce((n, m) => n + m.content.length, 0) / 4);
    const requested = [req.body.max_tokens, req.body.max_completion_tokens].find(
      (v): v is number => typeof v === "number",
    );
    if (options.contextWindow !== undefined && prompt + (requested ?? 0) > options.contextWindow) {
      return contextExceeded(options.server ?? "llama.cpp", {
        prompt,
        limit: options.contextWindow,
        completion: requested ?? 0,
      });
    }
    const maxTokens = Math.max(1, requested ?? options.maxTokensDefault ?? 64);
    const rng =
      typeof req.body.seed === "number"
        ? mulberry32(hash32(`${req.body.seed}\u0000${JSON.stringify(req.messages)}`))
        : mulberry32(hash32(`${options.seed}:${index}:${master()}`));
    const int = (n: number) => Math.floor(rng() * n);
    const word = () => (rng() < 0.15 ? String(int(1000)) : MESSY_WORDS[int(MESSY_WORDS.length)]!);
    const words = (n: number) => Array.from({ length: n }, word).join(" ");

    let text: string;
    let finishReason = "stop";
    if (mode === "never-stop") {
      text = words(maxTokens);
      finishReason = "length";
    } else if (mode === "rambling") {
      // Hit the cap fairly often, as an untrained model rarely samples its stop token.
      const n = rng() < 0.3 ? maxTokens : 1 + int(maxTokens);
      text = words(n);
      if (n === maxTokens) finishReason = "length";
    } else {
      const templates = [
        () => `Justification: ${words(3 + int(8))}.\nAnswer: ${int(11)}`,
        () => `My strategy will be ${words(3 + int(10))}.`,
        () => `The answer is ${int(11)}.`,
        () => words(1 + int(12)),
      ];
      text = templates[int(templates.length)]!();
      // A real server still cuts at max_tokens, whatever the model wanted to say.
      const all = text.split(/(?<=\s)(?=\S)/);
      if (all.length > maxTokens) {
        text = all.slice(0, maxTokens).join("").trimEnd();
        finishReason = "length";
      }
    }
    const completion = text.split(/\s+/).filter(Boolean).length;
    return {
      content: text,
      finishReason,
      usage: { prompt_tokens: prompt, completion_tokens: completion },
    };
  };
}

function flattenContent(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === "string"
          ? part
          : part !== null &&
              typeof part === "object" &&
              typeof (part as { text?: unknown }).text === "string"
            ? (part as { text: string }).text
            : "",
      )
      .filter((s) => s.length > 0)
      .join("\n");
  }
  return "";
}

function defaultErrorBody(status: number): {
  error: { message: string; type: string; code: string | null };
} {
  if (status === 429) {
    return {
      error: {
        message: "Rate limit reached for requests",
        type: "requests",
        code: "rate_limit_exceeded",
      },
    };
  }
  if (status >= 500) {
    return {
      error: {
        message: "The server had an error while processing your request.",
        type: "server_error",
        code: null,
      },
    };
  }
  return {
    error: {
      message: STATUS_CODES[status] ?? `HTTP ${status}`,
      type: "invalid_request_error",
      code: null,
    },
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * JSON string body (no quotes) for raw bytes: escapes `"`, `\` and control bytes, leaves everything
 * else raw.
 */
function escapeRawJson(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b < 0x20) out.push(...Buffer.from(`\\u${b.toString(16).padStart(4, "0")}`, "latin1"));
    else out.push(b);
  }
  return Buffer.from(out);
}

/**
 * `JSON.stringify(value)` as bytes, with the string `placeholder` (sitting somewhere in `value`)
 * replaced by `raw` verbatim, so the decoded string holds exactly those bytes.
 */
function jsonWithRaw(value: unknown, placeholder: string, raw: Buffer): Buffer {
  const text = JSON.stringify(value);
  const at = text.indexOf(JSON.stringify(placeholder));
  if (at < 0) throw new Error("fake-openai: raw content placeholder missing");
  return Buffer.concat([
    Buffer.from(text.slice(0, at + 1), "utf8"),
    escapeRawJson(raw),
    Buffer.from(text.slice(at + JSON.stringify(placeholder).length - 1), "utf8"),
  ]);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeOpenAI(
  opts: { script?: Script; latencyMs?: number; port?: number } = {},
): Promise<FakeOpenAI> {
  let script = opts.script ?? defaultScript;
  const latencyMs = opts.latencyMs ?? 0;
  const requests: ChatRequestRecord[] = [];
  const embeddingRequests: EmbeddingRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let closing: Promise<void> | undefined;

  // Pending delays are cleared on close (their promises never settle; the sockets are destroyed
  // anyway).
  const sleep = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, ms);
          timers.add(t);
        });

  async function handleChat(
    req: IncomingMessage,
    res: ServerResponse,
    receivedAt: number,
  ): Promise<void> {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
        throw new Error("not an object");
      body = parsed as Record<string, unknown>;
    } catch {
      sendJson(res, 400, {
        error: { message: "Invalid JSON body", type: "invalid_request_error", code: null },
      });
      return;
    }
    const rawMessages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
    const record: ChatRequestRecord = {
      model: typeof body.model === "string" ? body.model : "",
      messages: rawMessages.map((m) => {
        const msg = (m ?? {}) as { role?: unknown; content?: unknown };
        return {
          role: typeof msg.role === "string" ? msg.role : "",
          content: flattenContent(msg.content),
        };
      }),
      body,
      headers: { ...req.headers },
      receivedAt,
    };
    const index = requests.push(record) - 1;

    let reply: Reply;
    try {
      reply = await script(record, index);
    } catch (err) {
      const message = `fake-openai script threw: ${err instanceof Error ? err.message : String(err)}`;
      sendJson(res, 500, { error: { message, type: "server_error", code: null } });
      return;
    }
    if (typeof reply === "string") reply = { content: reply };
    if ("hang" in reply) return;

    await sleep(latencyMs + ("delayMs" in reply ? (reply.delayMs ?? 0) : 0));
    if (closed || res.destroyed) return;

    if ("malformed" in reply) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(reply.malformed);
      return;
    }
    if ("status" in reply) {
      const headers = { ...reply.headers };
      if (typeof reply.body === "string") {
        res.writeHead(reply.status, { "content-type": "text/plain", ...headers });
        res.end(reply.body);
      } else {
        sendJson(
          res,
          reply.status,
          reply.body === undefined ? defaultErrorBody(reply.status) : reply.body,
          headers,
        );
      }
      return;
    }

    const content = reply.content;
    const finishReason = reply.finishReason ?? "stop";
    const raw = reply.rawContent;
    // Stands in for the raw bytes while the rest of the JSON is built the ordinary way.
    const placeholder = `\u0000fake-openai-raw-${index}\u0000`;
    const promptTokens =
      reply.usage?.prompt_tokens ??
      Math.ceil(record.messages.reduce((n, m) => n + m.content.length, 0) / 4);
    const completionTokens = reply.usage?.completion_tokens ?? Math.ceil(content.length / 4);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const base = {
      id: `chatcmpl-fake-${index}`,
      created: Math.floor(Date.now() / 1000),
      model: record.model,
    };

    if (body.stream === true) {
      const includeUsage =
        (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      const payload = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
        ...base,
        object: "chat.completion.chunk",
        choices,
        ...(includeUsage ? { usage: null } : {}),
        ...extra,
      });
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
        `data: ${JSON.stringify(payload(choices, extra))}\n\n`;
      const delta = (d: Record<string, unknown>, finish: string | null) => [
        { index: 0, delta: d, finish_reason: finish, logprobs: null },
      ];
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(chunk(delta({ role: "assistant", content: "" }, null)));
      if (raw) {
        // Raw bytes go out in one delta so no multi-byte sequence is split between chunks.
        res.write(
          Buffer.concat([
            Buffer.from("data: "),
            jsonWithRaw(payload(delta({ content: placeholder }, null)), placeholder, raw),
            Buffer.from("\n\n"),
          ]),
        );
      } else {
        for (const piece of content.match(/\s*\S+\s*/g) ?? [])
          res.write(chunk(delta({ content: piece }, null)));
      }
      res.write(chunk(delta({}, finishReason)));
      if (includeUsage) res.write(chunk([], { usage }));
      res.end("data: [DONE]\n\n");
      return;
    }

    const completionBody = (text: string) => ({
      ...base,
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: text },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage,
    });
    if (raw) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(jsonWithRaw(completionBody(placeholder), placeholder, raw));
      return;
    }
    sendJson(res, 200, completionBody(content));
  }

  /**
   * OpenAI's embeddings API: float arrays, or base64 little-endian float32 (the OpenAI SDK's
   * default).
   */
  async function handleEmbeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: { model?: unknown; input?: unknown; encoding_format?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      sendJson(res, 400, {
        error: { message: "Invalid JSON body", type: "invalid_request_error", code: null },
      });
      return;
    }
    const input =
      typeof body.input === "string"
        ? [body.input]
        : Array.isArray(body.input)
          ? body.input.map(String)
          : [];
    embeddingRequests.push({
      model: typeof body.model === "string" ? body.model : "",
      input,
      headers: { ...req.headers },
    });
    const encode = (vector: number[]) =>
      body.encoding_format === "base64"
        ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
        : vector;
    const tokens = Math.ceil(input.reduce((n, text) => n + text.length, 0) / 4);
    sendJson(res, 200, {
      object: "list",
      data: input.map((text, index) => ({
        object: "embedding",
        index,
        embedding: encode(fakeEmbedding(text)),
      })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  const server = createServer((req, res) => {
    const receivedAt = Date.now();
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
    if (
      req.method === "POST" &&
      (path === "/v1/chat/completions" || path === "/chat/completions")
    ) {
      handleChat(req, res, receivedAt).catch((err: unknown) => {
        if (!res.headersSent) {
          sendJson(res, 500, { error: { message: String(err), type: "server_error", code: null } });
        } else {
          res.destroy();
        }
      });
      return;
    }
    if (req.method === "POST" && (path === "/v1/embeddings" || path === "/embeddings")) {
      handleEmbeddings(req, res).catch((err: unknown) =>
        sendJson(res, 500, { error: { message: String(err), type: "server_error", code: null } }),
      );
      return;
    }
    if (req.method === "GET" && (path === "/v1/models" || path === "/models")) {
      sendJson(res, 200, {
        object: "list",
        data: [{ id: "test-model", object: "model", created: 0, owned_by: "fake-openai" }],
      });
      return;
    }
    req.resume();
    sendJson(res, 404, {
      error: {
        message: `Unknown route ${req.method} ${req.url}`,
        type: "invalid_request_error",
        code: "not_found",
      },
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    embeddingRequests,
    setScript(s: Script) {
      script = s;
    },
    close() {
      if (closing) return closing;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      closing = new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
      server.closeAllConnections?.();
      for (const s of sockets) s.destroy();
      return closing;
    },
  };
}
