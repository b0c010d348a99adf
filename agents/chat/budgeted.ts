import type { Ledger } from "../ledger.js";
import type { ChatModel } from "./model.js";

/**
 * Every call is accounted in each ledger (the run's, then the batch's): a slot is reserved before
 * it starts, so a cap stops it at once, and its tokens and priced cost are recorded when it ends.
 */
export function budgeted(
  inner: ChatModel,
  ledgers: readonly Ledger[],
  price: (tokensIn: number, tokensOut: number) => number | null,
): ChatModel {
  return {
    async complete(request) {
      for (const [i, ledger] of ledgers.entries()) {
        try {
          ledger.reserve();
        } catch (error) {
          for (const reserved of ledgers.slice(0, i)) reserved.release();
          throw error;
        }
      }
      try {
        const completion = await inner.complete(request);
        const entry = {
          agentId: request.call.agentId,
          generation: request.call.t.generation,
          tokensIn: completion.tokensIn,
          tokensOut: completion.tokensOut,
          cost: price(completion.tokensIn, completion.tokensOut),
          cached: completion.cached,
          retries: Math.max(0, completion.attempts - 1),
          sent: request.unfit === undefined,
          truncated: completion.finishReason === "length",
          contextExceeded: completion.failure?.kind === "context-exceeded",
        };
        for (const ledger of ledgers) ledger.record(entry);
        return completion;
      } finally {
        for (const ledger of ledgers) ledger.release();
      }
    },
  };
}

/**
 * Checked again just before sending (once a concurrency slot is free), so a cost cap overshoots by
 * at most the calls in flight.
 */
export function withinCostCap(inner: ChatModel, ledgers: readonly Ledger[]): ChatModel {
  return {
    async complete(request) {
      for (const ledger of ledgers) ledger.checkCost();
      return inner.complete(request);
    },
  };
}
