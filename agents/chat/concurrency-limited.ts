import type { LimitFunction } from "p-limit";
import type { ChatModel, Completion } from "./model.js";

/**
 * Each request waits for a slot of every limit in turn (the run's, then the batch's), outermost
 * first.
 */
export function concurrencyLimited(inner: ChatModel, limits: readonly LimitFunction[]): ChatModel {
  return {
    complete(request) {
      const send = limits.reduceRight<() => Promise<Completion>>(
        (next, limit) => () => limit(next),
        () => inner.complete(request),
      );
      return send();
    },
  };
}
