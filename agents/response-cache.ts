import { createHash } from "node:crypto";
import cacache from "cacache";
import { stringify } from "safe-stable-stringify";
import type { CachedResponse, ResponseStore } from "../sim/core/minds.js";

export type CacheMode = "off" | "read-write" | "replay";

/**
 * The cache's format. It is part of every key and of every entry, so entries written by an older
 * Agora (format 1 keyed requests by their messages alone, shared between agents) are never read.
 */
export const CACHE_FORMAT = 2;

export interface CacheRequest {
  /** Model parameters that shape the answer (model, temperature, seed...), never credentials. */
  params: Record<string, unknown>;
  /**
   * Who asks and where (run seed, agent, step coordinates, attempt): each agent's call is its own
   * sample.
   */
  identity?: Record<string, unknown> | null;
  /** The requested answer format ("text", or the JSON schema sent as response_format). */
  responseFormat?: unknown;
  messages: { role: string; content: string }[];
}

export class CacheMissError extends Error {
  constructor(readonly key: string) {
    super(`cache mode is "replay" and no cached response exists for request ${key.slice(0, 16)}`);
    this.name = "CacheMissError";
  }
}

/**
 * Content address of a request: the same format, parameters, identity and messages give the same
 * key.
 */
export function cacheKey(request: CacheRequest): string {
  const text = stringify({
    format: CACHE_FORMAT,
    params: request.params,
    identity: request.identity ?? null,
    responseFormat: request.responseFormat ?? "text",
    messages: request.messages,
  });
  return createHash("sha256")
    .update(text ?? "")
    .digest("hex");
}

function isEntry(value: unknown): value is CachedResponse & { v: number } {
  const e = value as Partial<CachedResponse & { v: number }> | null;
  return (
    typeof e === "object" &&
    e !== null &&
    e.v === CACHE_FORMAT &&
    typeof e.text === "string" &&
    Number.isFinite(e.tokensIn) &&
    Number.isFinite(e.tokensOut) &&
    (e.finishReason === null || typeof e.finishReason === "string")
  );
}

/**
 * Persistent, content-addressed store of LLM responses (cacache: npm's own cache format, safe
 * under concurrent writers and crashes). Entries hold the response text, token counts, finish
 * reason and failure only: never prompts or credentials.
 */
export class ResponseCache implements ResponseStore {
  hits = 0;
  misses = 0;

  constructor(
    readonly dir: string,
    readonly mode: CacheMode,
  ) {}

  async get(key: string): Promise<CachedResponse | undefined> {
    if (this.mode === "off") return undefined;
    const info = await cacache.get.info(this.dir, key);
    const entry = info ? this.decode(key, (await cacache.get(this.dir, key)).data) : undefined;
    if (!entry) {
      this.misses++;
      if (this.mode === "replay") throw new CacheMissError(key);
      return undefined;
    }
    this.hits++;
    const { v: _v, ...response } = entry;
    return response;
  }

  async put(key: string, response: CachedResponse): Promise<void> {
    if (this.mode !== "read-write") return;
    await cacache.put(this.dir, key, JSON.stringify({ v: CACHE_FORMAT, ...response }));
  }

  /** An entry of another format is not this request's answer: read as a miss, never misread. */
  private decode(key: string, data: Buffer): (CachedResponse & { v: number }) | undefined {
    try {
      const value: unknown = JSON.parse(data.toString("utf8"));
      if (isEntry(value)) return value;
    } catch {
      // fall through: unreadable entries are misses too
    }
    if (this.mode === "replay")
      throw new Error(
        `response cache ${this.dir}: entry ${key.slice(0, 16)} is not a format-${CACHE_FORMAT} entry`,
      );
    return undefined;
  }
}
