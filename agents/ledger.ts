import { BudgetExhaustedError } from "../sim/core/errors.js";
import type { Profile } from "../sim/core/profile.js";
import { emptyTotals, type Totals } from "../sim/core/spend.js";

// Where the application and scenarios import them from today.

export interface Caps {
  maxCost?: number;
  maxCalls?: number;
}

/**
 * Cost sums are kept on a grid of 1e-9 USD, added as integers: plain float sums depend on the order
 * concurrent calls complete in, which would make a run and its replay differ in the last digits.
 */
const COST_GRID = 1e9;
function addCost(total: number, cost: number): number {
  return (Math.round(total * COST_GRID) + Math.round(cost * COST_GRID)) / COST_GRID;
}

export function priceOf(
  profile: Profile | undefined,
  tokensIn: number,
  tokensOut: number,
): number | null {
  if (!profile?.price) return null;
  return (tokensIn * profile.price.input + tokensOut * profile.price.output) / 1_000_000;
}

export interface LedgerEntry {
  agentId: string;
  generation: number;
  tokensIn: number;
  tokensOut: number;
  cost: number | null;
  cached: boolean;
  retries: number;
  /** False for a prompt refused before sending (it did not fit the context window). */
  sent: boolean;
  truncated: boolean;
  contextExceeded: boolean;
}

/**
 * Token and cost accounting per run, per generation and per agent, with budget caps. Caps count
 * every LLM call, cached or not, so a replay from the cache stops at the same point as the
 * original.
 */
export class Ledger {
  run: Totals = emptyTotals();
  byGeneration = new Map<number, Totals>();
  /** Per agent within a generation, keyed `generation|agentId` (agents.jsonl rows carry them). */
  byAgent = new Map<string, Totals>();
  private inFlight = 0;

  constructor(readonly caps: Caps = {}) {}

  /**
   * Claims a call slot, or throws when a cap has been reached. Called synchronously as a call
   * starts, so which call meets the max-calls cap does not depend on timing.
   */
  reserve(): void {
    const { maxCalls } = this.caps;
    if (maxCalls !== undefined && this.run.calls + this.inFlight >= maxCalls) {
      throw new BudgetExhaustedError(`max-calls cap of ${maxCalls} reached`);
    }
    this.checkCost();
    this.inFlight++;
  }

  /** Throws once the priced cost has reached the max-cost cap. */
  checkCost(): void {
    const { maxCost } = this.caps;
    if (maxCost === undefined) return;
    // Read once: a SharedLedger's `run` is a snapshot of shared memory.
    const cost = this.run.cost;
    if (cost >= maxCost)
      throw new BudgetExhaustedError(
        `max-cost cap of $${maxCost} reached ($${cost.toFixed(4)} so far)`,
      );
  }

  release(): void {
    this.inFlight--;
  }

  record(entry: LedgerEntry): void {
    for (const totals of [
      this.run,
      this.totalsFor(this.byGeneration, entry.generation),
      this.totalsFor(this.byAgent, `${entry.generation}|${entry.agentId}`),
    ]) {
      if (entry.truncated) totals.truncated++;
      if (entry.contextExceeded) totals.contextExceeded++;
      // A prompt refused before sending is no call: it costs nothing and counts against no cap.
      if (!entry.sent) continue;
      totals.calls++;
      totals.tokensIn += entry.tokensIn;
      totals.tokensOut += entry.tokensOut;
      totals.retries += entry.retries;
      if (entry.cost === null) totals.unpricedCalls++;
      else {
        totals.cost = addCost(totals.cost, entry.cost);
        if (!entry.cached) totals.spent = addCost(totals.spent, entry.cost);
      }
      if (entry.cached) totals.cacheHits++;
    }
  }

  generation(generation: number): Totals {
    return this.byGeneration.get(generation) ?? emptyTotals();
  }

  agent(generation: number, agentId: string): Totals {
    return this.byAgent.get(`${generation}|${agentId}`) ?? emptyTotals();
  }

  /**
   * For checkpoints: run totals survive a resume; per-generation ones restart with the generation.
   */
  restore(run: Totals): void {
    this.run = { ...emptyTotals(), ...run };
  }

  private totalsFor<K>(map: Map<K, Totals>, key: K): Totals {
    let totals = map.get(key);
    if (!totals) map.set(key, (totals = emptyTotals()));
    return totals;
  }
}
