import type { CachedResponse } from "../../sim/core/minds.js";
import type { ResponseCache } from "../response-cache.js";
import { responseOf, type ChatModel } from "./model.js";

/**
 * Answers from the cache, or from another run's identical request in flight (`inflight`, shared by
 * the runs of a batch), else from the inner model, then cached.
 */
export function cached(
  inner: ChatModel,
  cache: ResponseCache,
  inflight?: Map<string, Promise<CachedResponse>>,
): ChatModel {
  const sharing = cache.mode === "read-write" ? inflight : undefined;
  return {
    async complete(request) {
      const { key } = request;
      const hit = await cache.get(key, request.call);
      if (hit) return { ...hit, cached: true, attempts: 0 };
      // Another run asking the same thing right now: wait for its answer (as a cache hit) rather
      // than pay twice; if its call fails, make our own.
      const waited = await sharing?.get(key)?.catch(() => undefined);
      if (waited) return { ...waited, cached: true, attempts: 0 };
      const fetching = inner.complete(request);
      const answer = fetching.then(responseOf);
      // Waiters handle a failure themselves; this only keeps it from surfacing as unhandled.
      answer.catch(() => undefined);
      sharing?.set(key, answer);
      try {
        const completion = await fetching;
        await cache.put(key, responseOf(completion));
        return completion;
      } finally {
        if (sharing?.get(key) === answer) sharing.delete(key);
      }
    },
  };
}
