import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { llmCacheKey } from "../agents/mind-runtime.js";
import { CacheMissError, ResponseCache } from "../agents/response-cache.js";
import type { ChatMessage } from "../sim/core/minds.js";
import { profileSchema } from "../sim/core/profile.js";

const seed = (runSeed: number) => ({ runSeed });

const profile = profileSchema.parse({
  model: "m",
  baseURL: "http://127.0.0.1:1/v1",
  apiKeyEnv: "SECRET_KEY_VAR",
  temperature: 0.8,
});
const messages: ChatMessage[] = [
  { role: "system", content: "rules" },
  { role: "user", content: "how much?" },
];

const dirs: string[] = [];
const tempCache = () => {
  const dir = mkdtempSync(join(tmpdir(), "agora-cache-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("cache keys", () => {
  it("are stable for the same model parameters, seed and messages", () => {
    expect(llmCacheKey(profile, seed(1), messages)).toBe(
      llmCacheKey(
        { ...profile },
        seed(1),
        messages.map((m) => ({ ...m })),
      ),
    );
  });

  it("differ by run seed, so replicates do not share sampled answers", () => {
    expect(llmCacheKey(profile, seed(1), messages)).not.toBe(
      llmCacheKey(profile, seed(2), messages),
    );
  });

  it("differ by temperature and by message content, but not by endpoint or key variable", () => {
    const key = llmCacheKey(profile, seed(1), messages);
    expect(llmCacheKey({ ...profile, temperature: 0 }, seed(1), messages)).not.toBe(key);
    expect(
      llmCacheKey(profile, seed(1), [messages[0]!, { role: "user", content: "how much now?" }]),
    ).not.toBe(key);
    expect(
      llmCacheKey(
        { ...profile, baseURL: "http://elsewhere:8000/v1", apiKeyEnv: "OTHER" },
        seed(1),
        messages,
      ),
    ).toBe(key);
  });
});

describe("ResponseCache modes", () => {
  const entry = { text: "Answer: 5", tokensIn: 10, tokensOut: 2, finishReason: "stop" };

  it("read-write stores and then hits, counting both", async () => {
    const cache = new ResponseCache(tempCache(), "read-write");
    expect(await cache.get("k")).toBeUndefined();
    await cache.put("k", entry);
    expect(await cache.get("k")).toEqual(entry);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it("off neither reads nor writes", async () => {
    const dir = tempCache();
    const writer = new ResponseCache(dir, "read-write");
    await writer.put("k", entry);
    const off = new ResponseCache(dir, "off");
    expect(await off.get("k")).toBeUndefined();
    await off.put("other", entry);
    expect(await new ResponseCache(dir, "read-write").get("other")).toBeUndefined();
  });

  it("replay serves stored entries, refuses a miss and never writes", async () => {
    const dir = tempCache();
    await new ResponseCache(dir, "read-write").put("k", entry);
    const replay = new ResponseCache(dir, "replay");
    expect(await replay.get("k")).toEqual(entry);
    await expect(replay.get("missing")).rejects.toBeInstanceOf(CacheMissError);
    await replay.put("new", entry);
    await expect(replay.get("new")).rejects.toBeInstanceOf(CacheMissError);
  });

  it("stores only response text and token counts", async () => {
    const dir = tempCache();
    await new ResponseCache(dir, "read-write").put(llmCacheKey(profile, seed(1), messages), entry);
    const stored = filesUnder(dir)
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    expect(stored).toContain("Answer: 5");
    expect(stored).not.toContain("SECRET_KEY_VAR");
    expect(stored).not.toContain("how much?");
  });
});
