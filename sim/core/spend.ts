/** LLM use of a run, a generation or an agent: what the engine reports and a scenario may read. */
export interface Totals {
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** Priced cost of every call, cached or not (what the run would cost from scratch). */
  cost: number;
  /** Cost of the calls that actually reached an endpoint in this process. */
  spent: number;
  unpricedCalls: number;
  cacheHits: number;
  retries: number;
  /** Answers the endpoint cut at maxTokens (finish_reason "length"). */
  truncated: number;
  /**
   * Calls with no answer because the prompt did not fit the model's context (refused by the
   * endpoint or before sending).
   */
  contextExceeded: number;
}

export function emptyTotals(): Totals {
  return {
    calls: 0,
    tokensIn: 0,
    tokensOut: 0,
    cost: 0,
    spent: 0,
    unpricedCalls: 0,
    cacheHits: 0,
    retries: 0,
    truncated: 0,
    contextExceeded: 0,
  };
}

/** The priced cost of some calls, or null when none of them had a price. */
export function pricedCost(totals: Totals): number | null {
  return totals.unpricedCalls > 0 && totals.cost === 0 ? null : totals.cost;
}
