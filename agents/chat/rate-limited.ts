import type { RateLimiter } from "../rate-limit.js";
import { promptText, roughTokens, type ChatModel } from "./model.js";

/**
 * Each request waits for the profile's requests- and tokens-per-minute allowance, sized before
 * the call (the prompt plus the longest answer allowed) and corrected by the usage reported.
 */
export function rateLimited(
  inner: ChatModel,
  limiter: RateLimiter,
  profileName: string,
  maxTokens: number | undefined,
): ChatModel {
  return {
    async complete(request) {
      const estimate = roughTokens(promptText(request.messages)) + (maxTokens ?? 0);
      await limiter.acquire(profileName, estimate);
      const completion = await inner.complete(request);
      limiter.settle?.(profileName, estimate, completion.tokensIn + completion.tokensOut);
      return completion;
    },
  };
}
