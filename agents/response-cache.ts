import { createHash } from "node:crypto";
import cacache from "cacache";
import { stringify } from "safe-stable-stringify";

export type CacheMode = "off" | "read-write" | "replay";

export interface CachedResponse {
  text: string;
  tokensIn: number;
  tokensOut: number;
}

export interface CacheRequest {
  /** Model parameters that shape the answer (model, temperature, seed...), never credentials. */
  params: Record<string, unknown>;
  messages: { role: string; content: string }[];
}

export class CacheMissError extends Error {
  constructor(readonly key: string) {
    super(`cache mode is "replay" and no cached response exists for request ${key.slice(0, 16)}`);
    this.name = "CacheMissError";
  }
}

/** Content address of a request: the same model, parameters and messages give the same key. */
export function cacheKey(request: CacheRequest): string {
  const text = stringify({ params: request.params, messages: request.messages });
  return createHash("sha256").update(text ?? "").digest("hex");
}

/**
 * Persistent, content-addressed store of LLM responses (cacache: npm's own cache format, safe
 * under concurrent writers and crashes). Entries hold the response text and token counts only.
 */
export class ResponseCache {
  hits = 0;
  misses = 0;

  constructor(
    readonly dir: string,
    readonly mode: CacheMode,
  ) {}

  async get(key: string): Promise<CachedResponse | undefined> {
    if (this.mode === "off") return undefined;
    const info = await cacache.get.info(this.dir, key);
    if (!info) {
      this.misses++;
      if (this.mode === "replay") throw new CacheMissError(key);
      return undefined;
    }
    const { data } = await cacache.get(this.dir, key);
    this.hits++;
    return JSON.parse(data.toString("utf8")) as CachedResponse;
  }

  async put(key: string, response: CachedResponse): Promise<void> {
    if (this.mode !== "read-write") return;
    await cacache.put(this.dir, key, JSON.stringify(response));
  }
}
