import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import cacache from "cacache";
import { stringify } from "safe-stable-stringify";
import type { CachedResponse, MindCallRequest, ResponseStore } from "../sim/core/minds.js";

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

/** Who asked: names a request in errors (absent for lookups made outside minds). */
export type CacheAsker = Pick<MindCallRequest, "agentId" | "purpose">;

const describeRequest = (key: string, about?: CacheAsker): string =>
  about
    ? `the request of agent ${about.agentId}, purpose "${about.purpose}", promptHash ${key}`
    : `the request with promptHash ${key}`;

export class CacheMissError extends Error {
  constructor(
    readonly key: string,
    about?: CacheAsker,
  ) {
    super(
      `cache mode is "replay" and no cached response exists for ${describeRequest(key, about)}`,
    );
    this.name = "CacheMissError";
  }
}

/** A damaged entry met in replay mode, which can neither drop it nor fetch the answer again. */
export class CacheCorruptError extends Error {
  constructor(
    readonly key: string,
    dir: string,
    reason: string,
    about?: CacheAsker,
  ) {
    super(
      `response cache ${dir}: the entry for ${describeRequest(key, about)} is damaged (${reason}); cache mode "replay" cannot fetch it again: run once in read-write mode to replace it`,
    );
    this.name = "CacheCorruptError";
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
 * cacache's index: each key's entries are lines of one bucket file, each line carrying the SHA-1 of
 * its JSON. cacache skips a line that fails it, so a damaged index entry reads as no entry at all;
 * its own bucket functions tell the two apart (the package has no `exports` map: this is its
 * module, not a copy of it).
 */
const cacacheIndex = createRequire(import.meta.url)("cacache/lib/entry-index.js") as {
  bucketPath(cache: string, key: string): string;
  bucketEntries(bucket: string): Promise<unknown[]>;
};

/** cacache's errors for a content file that does not hold what the index line says it does. */
const DAMAGED_CONTENT: Record<string, string> = {
  EINTEGRITY: "content fails its SHA-512 check",
  EBADSIZE: "content has the wrong size",
  ENOENT: "content file missing",
};

type Lookup =
  | { found: CachedResponse & { v: number } }
  | { absent: true }
  | { otherFormat: unknown }
  | { damaged: string; integrity?: string };

/**
 * Persistent, content-addressed store of LLM responses (cacache: npm's own cache format, safe
 * under concurrent writers and crashes). Entries hold the response text, token counts, finish
 * reason and failure only: never prompts or credentials.
 *
 * Integrity: cacache records the SHA-512 of each entry's content in its index line and checks it on
 * every read, and each index line carries a SHA-1 of itself. A damaged entry (content or index
 * line: truncated, flipped, overwritten) is counted in `corrupt`; in read-write mode it is dropped
 * and read as a miss, so the call is made again and stored afresh; in replay mode it fails with a
 * CacheCorruptError naming the request.
 */
export class ResponseCache implements ResponseStore {
  hits = 0;
  misses = 0;
  corrupt = 0;

  constructor(
    readonly dir: string,
    readonly mode: CacheMode,
  ) {}

  async get(key: string, about?: CacheAsker): Promise<CachedResponse | undefined> {
    if (this.mode === "off") return undefined;
    const lookup = await this.lookup(key);
    if ("found" in lookup) {
      this.hits++;
      const { v: _v, ...response } = lookup.found;
      return response;
    }
    this.misses++;
    if ("damaged" in lookup) {
      this.corrupt++;
      if (this.mode === "replay") throw new CacheCorruptError(key, this.dir, lookup.damaged, about);
      await this.drop(key, lookup.integrity);
      return undefined;
    }
    if (this.mode !== "replay") return undefined;
    // An entry of another format is not this request's answer: a miss, never misread.
    if ("otherFormat" in lookup)
      throw new Error(
        `response cache ${this.dir}: the entry for ${describeRequest(key, about)} is not a format-${CACHE_FORMAT} entry (format ${String(lookup.otherFormat)})`,
      );
    throw new CacheMissError(key, about);
  }

  async put(key: string, response: CachedResponse): Promise<void> {
    if (this.mode !== "read-write") return;
    await cacache.put(this.dir, key, JSON.stringify({ v: CACHE_FORMAT, ...response }));
  }

  private async lookup(key: string): Promise<Lookup> {
    const info = await cacache.get.info(this.dir, key);
    if (!info)
      return (await this.damagedIndex(key))
        ? { damaged: "index entry unreadable" }
        : { absent: true };
    let data: Buffer;
    try {
      data = await cacache.get.byDigest(this.dir, info.integrity);
    } catch (error) {
      const damaged = DAMAGED_CONTENT[(error as NodeJS.ErrnoException).code ?? ""];
      if (damaged) return { damaged, integrity: info.integrity };
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(data.toString("utf8"));
    } catch {
      return { damaged: "content is not JSON", integrity: info.integrity };
    }
    if (isEntry(value)) return { found: value };
    const format = (value as { v?: unknown } | null)?.v;
    // Format 1 entries had no `v`.
    if (format !== CACHE_FORMAT) return { otherFormat: format ?? 1 };
    return { damaged: `not a well-formed format-${CACHE_FORMAT} entry`, integrity: info.integrity };
  }

  /** Whether the key's index bucket holds lines cacache could not read. */
  private async damagedIndex(key: string): Promise<boolean> {
    const bucket = cacacheIndex.bucketPath(this.dir, key);
    let text: string;
    try {
      text = await readFile(bucket, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
    const lines = text.split("\n").filter((line) => line !== "").length;
    return lines > (await cacacheIndex.bucketEntries(bucket)).length;
  }

  /**
   * Removes a damaged entry: its index bucket, and its content file, which cacache would otherwise
   * keep (it never rewrites content it already has, so the same answer stored again would stay
   * damaged).
   */
  private async drop(key: string, integrity?: string): Promise<void> {
    if (integrity) await cacache.rm.content(this.dir, integrity);
    await cacache.index.compact(this.dir, key, () => false, { validateEntry: () => false });
  }
}
