import { z } from "zod";
import { LIMITS } from "./limits.js";
import { hasSecret } from "./secrets.js";

/** A named model profile: one OpenAI-compatible endpoint and the parameters sent with each call. */
export const profileSchema = z
  .object({
    model: z.string().min(1),
    /** OpenAI-compatible base URL, e.g. http://localhost:11434/v1 for Ollama. Default: OpenAI. */
    baseURL: z
      .url({
        protocol: /^https?$/,
        error: "an http:// or https:// URL, e.g. http://localhost:11434/v1",
      })
      // Refused rather than stripped: a stripped URL would not reach the endpoint it names.
      .refine(
        (url) => !hasSecret(url),
        "a URL without credentials (no user:password@, no key, token, password or sig in the query: keys go in the environment variable named by apiKeyEnv)",
      )
      .optional(),
    /**
     * Name of the environment variable holding the API key; the key itself never enters a config.
     */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")
      .optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().max(LIMITS.maxTokens).optional(),
    /** Passed through to the endpoint; honoured by OpenAI, vLLM, llama.cpp and others. */
    seed: z.number().int().optional(),
    timeoutMs: z.number().int().positive().max(LIMITS.timeoutMs).default(60_000),
    maxRetries: z.number().int().min(0).max(20).default(6),
    /** USD per million tokens; without it calls record tokens only. */
    price: z
      .object({ input: z.number().min(0), output: z.number().min(0) })
      .strict()
      .optional(),
    /** Requests and tokens per minute allowed for this profile (used by the batch limiter). */
    rpm: z.number().positive().optional(),
    tpm: z.number().positive().optional(),
    /**
     * Tokens the model can hold (prompt + answer); prompts that cannot fit are trimmed or fail
     * before sending.
     */
    contextWindow: z.number().int().positive().max(LIMITS.contextWindow).optional(),
    /**
     * "json_schema" asks for each scenario's answer as JSON through the OpenAI-compatible
     * response_format (OpenAI, vLLM, llama.cpp server, Ollama); "text" (the papers' way) asks in
     * prose.
     */
    responseFormat: z.enum(["text", "json_schema"]).default("text"),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;
