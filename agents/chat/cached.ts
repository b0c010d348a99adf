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
      // Another run asking the same thing right now: wait for its answer (as a cache hit) rather
      // than pay twice; if its call fails, make our own.
      const pending = sharing?.get(key);
      if (pending) {
        const waited = await pending.catch(() => undefined);
        if (waited) return { ...waited, cached: true, attempts: 0 };
      }
      // Claim the key before looking in the cache, with no await in between: a run that comes
      // later waits for this one, and once the claim is gone the answer is in the cache.
      let settle!: (answer: CachedResponse | Promise<CachedResponse>) => void;
      let fail!: (error: unknown) => void;
      const answer = new Promise<CachedResponse>((resolve, reject) => {
        settle = resolve;
        fail = reject;
      });
      // Waiters handle a failure themselves; this only keeps it from surfacing as unhandled.
      answer.catch(() => undefined);
      sharing?.set(key, answer);
      try {
        const hit = await cache.get(key, request.call);
        if (hit) {
          settle(hit);
          return { ...hit, cached: true, attempts: 0 };
        }
        const fetching = inner.complete(request);
        settle(fetching.then(responseOf));
        const completion = await fetching;
        await cache.put(key, responseOf(completion));
        return completion;
      } catch (error) {
        fail(error); // a no-op when the fetch's own failure already settled it
        throw error;
      } finally {
        if (sharing?.get(key) === answer) sharing.delete(key);
      }
    },
  };
}
