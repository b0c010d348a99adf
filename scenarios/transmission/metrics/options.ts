import { z } from "zod";
import { LIMITS } from "../../../sim/core/limits.js";

/** The `transmission.metrics` config section. */
export const textMetricsOptionsSchema = z
  .object({
    /**
     * "english": scikit-learn's English stop-word list, as LLM-Culture's analysis uses; "none":
     * keep every token.
     */
    stopWords: z.enum(["english", "none"]).default("english"),
    /**
     * "agora": fog from the `syllable` package's counts, attractors on words, ours as documented;
     * "telephone": the telephone-game follow-up's analysis (TelephoneGameLLM): textstat 0.7.3's
     * Gunning fog with Pyphen's syllables, NLTK 3.8.1's VADER positivity, attractors on length in
     * characters with its "no attractor" zeroing, positivity clipping and p-values.
     */
    reference: z.enum(["agora", "telephone"]).default("agora"),
    /**
     * Two texts of a generation are in one cluster when a chain of pairs with TF-IDF cosine >= this
     * links them.
     */
    clusterThreshold: z.number().min(0).max(1).default(0.5),
    /**
     * A profile name from `profiles`: adds `embeddingWithin` through its OpenAI-compatible
     * embeddings endpoint.
     */
    embeddings: z.string().min(1).optional(),
    /**
     * Chains: the first generation whose rows carry the attractor estimates (regression on
     * generation 1).
     */
    attractorGeneration: z.number().int().min(2).max(LIMITS.generations).default(2),
    /**
     * Chains: bootstrap resamples (of chains) behind the attractor confidence intervals; 0 = no
     * intervals.
     */
    bootstrapSamples: z.number().int().min(0).max(100_000).default(1000),
    /**
     * Network mode: at most this many generation-1 texts (drawn once per run) are followed over
     * graph distance for the `originSimilarity…` keys; all of them when there are no more.
     */
    spreadOrigins: z.number().int().min(1).max(LIMITS.populationSize).default(100),
  })
  .strict();

export type TextMetricsOptions = z.infer<typeof textMetricsOptionsSchema>;

/** Every option at its default. */
export const DEFAULT_TEXT_METRICS_OPTIONS: TextMetricsOptions = textMetricsOptionsSchema.parse({});

/**
 * A text and who wrote it; `chain` is set in chain mode (the chain's index), `slot` (the graph node
 * it was written at) in network mode.
 */
export interface AuthoredText {
  agentId: string;
  text: string;
  chain?: number;
  slot?: string;
}
