import type { Profile } from "../sim/core/profile.js";

// Scenarios and tests import these from here today.

/** The parameters that shape a response: what a cache key and a manifest record (never the key). */
export function modelParameters(profile: Profile): Record<string, unknown> {
  return {
    model: profile.model,
    temperature: profile.temperature ?? null,
    maxTokens: profile.maxTokens ?? null,
    seed: profile.seed ?? null,
    responseFormat: profile.responseFormat,
  };
}

/** The endpoint without credentials or query string, fit for manifests and cache keys. */
export function publicEndpoint(baseURL: string | undefined): string {
  if (!baseURL) return "https://api.openai.com/v1";
  const url = new URL(baseURL);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function resolveApiKey(
  profileName: string,
  profile: Profile,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (!profile.apiKeyEnv) {
    // Local servers (vLLM, Ollama, llama.cpp) accept any key; the OpenAI client insists on one.
    return "sk-no-key";
  }
  const key = env[profile.apiKeyEnv];
  if (!key) {
    throw new Error(
      `profiles.${profileName}.apiKeyEnv: environment variable ${profile.apiKeyEnv} is not set (it should hold the API key)`,
    );
  }
  return key;
}
