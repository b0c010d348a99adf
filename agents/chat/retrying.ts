import { withRetries, type RetryOptions } from "../retry.js";
import type { ChatModel, CompletionRequest } from "./model.js";

export interface RetryingOptions extends Omit<RetryOptions, "onRetry"> {
  onRetry?: (info: {
    request: CompletionRequest;
    attempt: number;
    error: unknown;
    waitMs: number;
  }) => void;
  /**
   * The error a call ends with, from its last attempt's error and the attempts made (default: that
   * error).
   */
  giveUp?: (error: unknown, attempts: number) => unknown;
}

/**
 * Transient failures are retried with jittered backoff (withRetries); the completion counts the
 * attempts.
 */
export function retrying(inner: ChatModel, options: RetryingOptions): ChatModel {
  const { onRetry, giveUp, ...retry } = options;
  return {
    async complete(request) {
      let attempts = 0;
      try {
        const result = await withRetries(
          (attempt) => {
            attempts = attempt;
            return inner.complete(request);
          },
          { ...retry, ...(onRetry ? { onRetry: (info) => onRetry({ request, ...info }) } : {}) },
        );
        return { ...result.value, attempts: result.attempts };
      } catch (error) {
        throw giveUp ? giveUp(error, attempts) : error;
      }
    },
  };
}
