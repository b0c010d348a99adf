/**
 * Requests- and tokens-per-minute limits per model profile, shared by every run of a batch.
 * The Redis helper implements the same interface across machines.
 */
export interface RateLimiter {
  /**
   * Waits until `profile` may send one request of about `tokens` tokens (prompt + expected answer).
   */
  acquire(profile: string, tokens: number): Promise<void>;
  /**
   * Corrects an earlier estimate once the endpoint reported the real usage: the difference is
   * taken from (or given back to) the profile's token budget. Optional for implementations.
   */
  settle?(profile: string, estimated: number, actual: number): void;
}

export interface RateLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute (input + output). */
  tpm?: number;
}

/** The profiles that set rpm or tpm, with their limits. */
export function rateLimitsOf(profiles: Record<string, RateLimits>): Record<string, RateLimits> {
  const limits: Record<string, RateLimits> = {};
  for (const [name, { rpm, tpm }] of Object.entries(profiles)) {
    if (rpm !== undefined || tpm !== undefined)
      limits[name] = {
        ...(rpm !== undefined ? { rpm } : {}),
        ...(tpm !== undefined ? { tpm } : {}),
      };
  }
  return limits;
}

/** Time source of a limiter; tests inject a manual clock instead of waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const MINUTE_MS = 60_000;

interface Bucket {
  limits: RateLimits;
  requests: number;
  tokens: number;
  at: number;
  /** Acquisitions are served first come, first served. */
  queue: Promise<void>;
}

/**
 * Token buckets, one per profile: each holds at most a minute's allowance and refills
 * continuously, so a burst of `rpm` requests may go at once and then one every 60/rpm s.
 * A request asking for more tokens than a whole minute's allowance waits for a full bucket.
 */
export class LocalRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: Record<string, RateLimits>,
    private readonly clock: Clock = systemClock,
  ) {}

  acquire(profile: string, tokens: number): Promise<void> {
    const limits = this.limits[profile];
    if (!limits || (limits.rpm === undefined && limits.tpm === undefined)) return Promise.resolve();
    const bucket = this.bucket(profile, limits);
    const turn = bucket.queue.then(() => this.take(bucket, tokens));
    bucket.queue = turn.catch(() => undefined);
    return turn;
  }

  settle(profile: string, estimated: number, actual: number): void {
    const bucket = this.buckets.get(profile);
    if (!bucket || bucket.limits.tpm === undefined) return;
    this.refill(bucket);
    // May go negative: a call that used more than estimated delays the ones after it.
    bucket.tokens = Math.min(bucket.limits.tpm, bucket.tokens - (actual - estimated));
  }

  private bucket(profile: string, limits: RateLimits): Bucket {
    let bucket = this.buckets.get(profile);
    if (!bucket) {
      bucket = {
        limits,
        requests: limits.rpm ?? 0,
        tokens: limits.tpm ?? 0,
        at: this.clock.now(),
        queue: Promise.resolve(),
      };
      this.buckets.set(profile, bucket);
    }
    return bucket;
  }

  private refill(bucket: Bucket): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - bucket.at);
    bucket.at = now;
    const { rpm, tpm } = bucket.limits;
    if (rpm !== undefined)
      bucket.requests = Math.min(rpm, bucket.requests + (elapsed * rpm) / MINUTE_MS);
    if (tpm !== undefined)
      bucket.tokens = Math.min(tpm, bucket.tokens + (elapsed * tpm) / MINUTE_MS);
  }

  private async take(bucket: Bucket, tokens: number): Promise<void> {
    const { rpm, tpm } = bucket.limits;
    const wanted = tpm === undefined ? 0 : Math.min(Math.max(0, tokens), tpm);
    for (;;) {
      this.refill(bucket);
      const waitRequests =
        rpm === undefined || bucket.requests >= 1 ? 0 : ((1 - bucket.requests) * MINUTE_MS) / rpm;
      const waitTokens =
        tpm === undefined || bucket.tokens >= wanted
          ? 0
          : ((wanted - bucket.tokens) * MINUTE_MS) / tpm;
      const wait = Math.max(waitRequests, waitTokens);
      if (wait <= 0) break;
      await this.clock.sleep(Math.ceil(wait));
    }
    if (rpm !== undefined) bucket.requests -= 1;
    if (tpm !== undefined) bucket.tokens -= wanted;
  }
}
