import type { OpenAIEmbeddings } from "@langchain/openai";
import { keyRedactor, redactedError } from "../../../agents/chat/endpoint-error.js";
import { modelParameters, resolveApiKey } from "../../../agents/profiles.js";
import { type Profile } from "../../../sim/core/profile.js";
import { cacheKey } from "../../../agents/response-cache.js";
import { ConfigError } from "../../../sim/core/errors.js";
import type { ResponseStore } from "../../../sim/core/minds.js";

/** Texts in, one vector per text out (same order). */
export type Embedder = (texts: readonly string[]) => Promise<number[][]>;

/**
 * An embedder on a profile's OpenAI-compatible `/embeddings` endpoint (LangChain's OpenAIEmbeddings
 * with the profile's baseURL). The key is read from the profile's `apiKeyEnv` at the first uncached
 * call and goes nowhere else. With a cache, vectors are stored like chat responses (keyed by the
 * model and the text), so a replay needs no endpoint.
 */
export function createEmbedder(options: {
  profileName: string;
  profile: Profile;
  env?: NodeJS.ProcessEnv;
  cache?: ResponseStore;
}): Embedder {
  const { profileName, profile, cache } = options;
  let client: OpenAIEmbeddings | undefined;
  const remote = async (texts: string[]): Promise<number[][]> => {
    // Imported when the client is first needed: a run without embeddings never loads LangChain.
    client ??= new (await import("@langchain/openai")).OpenAIEmbeddings({
      model: profile.model,
      apiKey: resolveApiKey(profileName, profile, options.env),
      timeout: profile.timeoutMs,
      maxRetries: profile.maxRetries,
      ...(profile.baseURL ? { configuration: { baseURL: profile.baseURL } } : {}),
    });
    // The run's error (manifest, events, tables) must not carry a key the endpoint echoes.
    return client.embedDocuments(texts).catch((error: unknown) => {
      throw redactedError(error, keyRedactor(profileName, profile, options.env));
    });
  };
  return async (texts) => {
    if (!cache) return remote([...texts]);
    const keys = texts.map((text) =>
      cacheKey({
        params: { ...modelParameters(profile), purpose: "embedding" },
        messages: [{ role: "user", content: text }],
      }),
    );
    const found = await Promise.all(keys.map((key) => cache.get(key)));
    const missing = texts.filter((_, i) => !found[i]);
    const fetched = missing.length > 0 ? await remote(missing) : [];
    let next = 0;
    return Promise.all(
      texts.map(async (_, i) => {
        const hit = found[i];
        if (hit) return JSON.parse(hit.text) as number[];
        const vector = fetched[next++]!;
        await cache.put(keys[i]!, {
          text: JSON.stringify(vector),
          tokensIn: 0,
          tokensOut: 0,
          finishReason: null,
        });
        return vector;
      }),
    );
  };
}

/**
 * The embedder `transmission.metrics.embeddings` asks for, or undefined when it names no profile.
 */
export function embedderFor(
  profileName: string | undefined,
  profiles: Readonly<Record<string, Profile>>,
  extra: { env?: NodeJS.ProcessEnv; cache?: ResponseStore } = {},
): Embedder | undefined {
  if (profileName === undefined) return undefined;
  const profile = profiles[profileName];
  if (!profile) {
    throw new ConfigError(
      "transmission.metrics.embeddings",
      profileName,
      `a profile defined under profiles (${Object.keys(profiles).join(", ") || "none defined"})`,
    );
  }
  return createEmbedder({ profileName, profile, ...extra });
}

/** Cosine of two dense vectors (0 when either is all zeros). */
function denseCosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * (b[i] ?? 0);
    na += a[i]! * a[i]!;
    nb += (b[i] ?? 0) * (b[i] ?? 0);
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Mean cosine over the distinct pairs of `vectors`; null with fewer than two. */
export function meanDensePairwise(vectors: readonly (readonly number[])[]): number | null {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i + 1; j < vectors.length; j++) {
      sum += denseCosine(vectors[i]!, vectors[j]!);
      pairs++;
    }
  }
  return pairs === 0 ? null : sum / pairs;
}
