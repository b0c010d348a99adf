import http from "node:http";
import https from "node:https";

/**
 * The fetch every profile's OpenAI client sends through: node:http(s) on keep-alive agents, one
 * pair per process. With Node's own fetch (undici) most of a request's client CPU went to web
 * streams and header lists around a body of a few hundred bytes of JSON (1.3 ms of client CPU per
 * request against 0.7 ms with this): paid call after call on the one event loop that runs the
 * simulation, it delays every step of an LLM run.
 *
 * Enough of fetch for the OpenAI SDK: a string or byte body, the request's headers, method and
 * abort signal. The answer is read in full here and handed over as a BufferedResponse. No
 * redirects are followed and no compression is asked for (the SDK asks for neither).
 */
export function keepAliveFetch(): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const transport = url.protocol === "https:" ? https : http;
    const agent = url.protocol === "https:" ? httpsAgent : httpAgent;
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== "string" && !isBytes(body))
      return Promise.reject(
        new TypeError("keepAliveFetch: a request body must be a string or bytes"),
      );
    const headers: Record<string, string> = {};
    // The SDK hands a Headers; copying it into another first would cost as much again.
    const given = init?.headers;
    (given instanceof Headers ? given : new Headers(given)).forEach(
      (value, name) => (headers[name] = value),
    );
    return new Promise<Response>((resolve, reject) => {
      const request = transport.request(
        url,
        { method: init?.method ?? "GET", headers, agent, signal: init?.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const noBody = status === 204 || status === 304 || init?.method === "HEAD";
            const response = new BufferedResponse(
              url.href,
              status,
              res.statusMessage ?? "",
              new ResponseHeaders(res.rawHeaders),
              noBody ? null : Buffer.concat(chunks),
            );
            // The SDK's type is the DOM's Response; what it reads of one is implemented below.
            resolve(response as unknown as Response);
          });
        },
      );
      request.on("error", reject);
      request.end(body ?? undefined);
    });
  };
}

// Every idle connection is kept (node's default keeps 256): a debate round sends 300 calls at once
// and the next round as many again, which would otherwise open the surplus afresh each round. The
// server closes what stays idle.
const agentOptions = { keepAlive: true, maxFreeSockets: Infinity };
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * A fetch Response whose body is already in memory: text() and json() decode it directly, where
 * undici's Response would pipe it through a web stream. `body` makes that stream only if asked.
 */
export class BufferedResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = "basic";
  #bytes: Buffer | null;
  #used = false;
  #stream: ReadableStream<Uint8Array> | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: ResponseHeaders,
    bytes: Buffer | null,
  ) {
    this.ok = status >= 200 && status < 300;
    this.#bytes = bytes;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#stream?.locked ?? false);
  }

  /** A stream over the body, made on first access (the SDK reads one only when streaming). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#bytes === null) return null;
    this.#stream ??= new Blob([new Uint8Array(this.#bytes)]).stream();
    return this.#stream;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return this.#take().toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.#take().toString("utf8"));
  }

  clone(): BufferedResponse {
    if (this.bodyUsed) throw new TypeError("Response.clone: body has already been consumed");
    return new BufferedResponse(this.url, this.status, this.statusText, this.headers, this.#bytes);
  }

  /** The body, once, as fetch allows. */
  #take(): Buffer {
    if (this.bodyUsed) throw new TypeError("Body is unusable: body has already been read");
    this.#used = true;
    return this.#bytes ?? Buffer.alloc(0);
  }
}

/**
 * A response's headers, read-only, from node's raw list: names lower-cased and repeated values
 * joined with ", " as fetch's Headers does. Iterable as [name, value] pairs, so `new Headers(it)`
 * copies it.
 */
export class ResponseHeaders {
  readonly #map = new Map<string, string>();

  constructor(raw: readonly string[]) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const previous = this.#map.get(name);
      this.#map.set(name, previous === undefined ? raw[i + 1]! : `${previous}, ${raw[i + 1]!}`);
    }
  }

  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  forEach(callback: (value: string, name: string, headers: ResponseHeaders) => void): void {
    for (const [name, value] of this.entries()) callback(value, name, this);
  }

  /** In name order, as fetch's Headers iterates; sorted on the first iteration only. */
  #sorted: [string, string][] | undefined;

  *entries(): IterableIterator<[string, string]> {
    this.#sorted ??= [...this.#map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    yield* this.#sorted;
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
