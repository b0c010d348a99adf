/**
 * Upper bounds of config values (docs/config.md, "Bounds"). The schemas check them before anything
 * is built, so a typo such as `size: 1e9` is a config error naming the field, never an allocation
 * that takes Node down.
 */
export const LIMITS = {
  /** Agents per generation. */
  populationSize: 100_000,
  generations: 100_000,
  /** Rounds per generation (Donor Game, public goods). */
  rounds: 10_000,
  /**
   * Edges of a generated graph that stores them (the complete graph is implicit and exempt; 1,000
   * agents on llm-culture's fully_connected one have 499,500); random graphs also draw once per
   * node pair, at most `graphPairs` of them.
   */
  graphEdges: 1_000_000,
  graphPairs: 50_000_000,
  /** Tokens of one answer (a profile's maxTokens) and of a model's context window. */
  maxTokens: 1_000_000,
  contextWindow: 10_000_000,
  /** One call's timeout: an hour (Node's timers cannot wait past 24.8 days anyway). */
  timeoutMs: 3_600_000,
  /** LLM calls in flight per run. */
  maxConcurrency: 1_000,
  /** Re-asks of one unusable answer. */
  parseRetries: 100,
  /** Questions a debate generates, loads or asks per generation. */
  questions: 1_000_000,
  /** Questions debated side by side. */
  parallelQuestions: 1_000,
  /** How many past actions a Donor Game trace shows. */
  traceDepth: 1_000,
} as const;
