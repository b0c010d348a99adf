import { contextExceededMessage } from "./context-fit.js";

/**
 * Retries for transient endpoint failures, with jittered exponential backoff that honours
 * Retry-After.
 */

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (info: { attempt: number; error: unknown; waitMs: number }) => void;
  sleep?: (ms: number) => Promise<void>;
  /**
   * A uniform draw in [0, 1) per wait: the backoff becomes half its value plus up to half again
   * ("equal jitter"), so runs that failed together do not retry in lockstep. Without it, no jitter.
   */
  jitter?: () => number;
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

export function errorStatus(error: unknown): number | undefined {
  const e = error as { status?: unknown; response?: { status?: unknown } } | null;
  const status = e?.status ?? e?.response?.status;
  return typeof status === "number" ? status : undefined;
}

export function isRetryable(error: unknown): boolean {
  // The same prompt will not fit the next time either.
  if (contextExceededMessage(error) !== null) return false;
  const status = errorStatus(error);
  if (status !== undefined) return RETRYABLE_STATUS.has(status) || status >= 500;
  const name = (error as { name?: string } | null)?.name ?? "";
  if (name === "AbortError") return false;
  // No HTTP status: a timeout, a refused or reset connection, or a body that did not parse.
  return true;
}

/**
 * Milliseconds the server asked us to wait, from `retry-after-ms` or `retry-after` (seconds or a
 * date).
 */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const headers =
    (error as { headers?: unknown; response?: { headers?: unknown } } | null)?.headers ??
    (error as { response?: { headers?: unknown } } | null)?.response?.headers;
  const get = (name: string): string | undefined => {
    if (!headers) return undefined;
    if (typeof (headers as Headers).get === "function")
      return (headers as Headers).get(name) ?? undefined;
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  };
  const ms = Number(get("retry-after-ms"));
  if (Number.isFinite(ms) && ms >= 0 && get("retry-after-ms") !== undefined) return ms;
  const raw = get("retry-after");
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<{ value: T; attempts: number }> {
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 60_000;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (error) {
      if (attempt > options.maxRetries || !isRetryable(error)) throw error;
      const full = Math.min(cap, base * 2 ** (attempt - 1));
      const backoff = options.jitter ? full / 2 + (full / 2) * options.jitter() : full;
      const waitMs = Math.max(retryAfterMs(error) ?? 0, backoff);
      options.onRetry?.({ attempt, error, waitMs });
      await sleep(waitMs);
    }
  }
}
