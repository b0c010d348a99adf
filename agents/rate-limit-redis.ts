/**
 * A rate limit per model profile that holds across every process sharing one Redis: batch workers
 * on many machines draw from the same per-profile allowance. See sim/app/batch/queue/README.md.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { RateLimiter, RateLimits } from "./rate-limit.js";

const MINUTE_MS = 60_000;

/**
 * A sliding-window log per profile, kept in Redis and changed only by this script, so concurrent
 * acquirers on any machine see one state. KEYS[1]: sorted set of admitted requests; KEYS[2]: sorted
 * set of token charges (member "<id>|<tokens>"). Times come from the Redis server's clock, so the
 * workers' clocks do not matter. Admits the request and returns 0, or returns how many milliseconds
 * to wait before asking again. A request larger than the whole token allowance goes once the window
 * holds no tokens (it could never fit otherwise).
 */
const ACQUIRE = `
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local tokens = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local id = ARGV[5]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local wait = 0
if rpm > 0 then
  local count = redis.call('ZCARD', KEYS[1])
  if count >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], count - rpm, count - rpm, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now + 1)
  end
end
if tpm > 0 then
  local charges = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local used = 0
  for i = 1, #charges, 2 do
    used = used + tonumber(string.match(charges[i], '|(-?[%d.]+)$'))
  end
  local allowed = tpm - math.min(tokens, tpm)
  if used > allowed then
    -- Wait until enough of the oldest charges have left the window.
    for i = 1, #charges, 2 do
      used = used - tonumber(string.match(charges[i], '|(-?[%d.]+)$'))
      if used <= allowed then
        wait = math.max(wait, tonumber(charges[i + 1]) + window - now + 1)
        break
      end
    end
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, id)
if tpm > 0 then redis.call('ZADD', KEYS[2], now, id .. '|' .. tokens) end
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
return 0
`;

/** Adds a correction (actual - estimated tokens) to the token log at the server's current time. */
const SETTLE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1] .. '|' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 0
`;

export interface RedisRateLimiterOptions {
  /** A connection of its own or a shared one (commands only, nothing blocking). */
  redis: Redis;
  /** rpm/tpm per profile name; profiles without limits pass at once. */
  limits: Record<string, RateLimits>;
  /**
   * The window the limits count over: 60,000 ms (rpm and tpm are per minute). A shorter window
   * keeps the same counts per window (tests use it to see a limit bind within seconds).
   */
  windowMs?: number;
  /** Key prefix in Redis (default "agora:rate"). */
  prefix?: string;
}

/**
 * At most `rpm` requests and `tpm` tokens (estimated at acquire, corrected by settle) per profile
 * in any window of `windowMs`, across every limiter on the same Redis and prefix. Unlike the
 * in-process token bucket it allows no burst above the per-minute counts, which is what providers
 * that count per sliding minute enforce.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly windowMs: number;
  private readonly prefix: string;

  constructor(private readonly options: RedisRateLimiterOptions) {
    this.windowMs = options.windowMs ?? MINUTE_MS;
    this.prefix = options.prefix ?? "agora:rate";
    if (!Number.isInteger(this.windowMs) || this.windowMs <= 0)
      throw new Error(`windowMs: got ${this.windowMs}, expected a positive integer (milliseconds)`);
  }

  /** The same Redis state under other limits (a job of another batch may set other rpm/tpm). */
  withLimits(limits: Record<string, RateLimits>): RedisRateLimiter {
    return new RedisRateLimiter({ ...this.options, limits });
  }

  private keys(profile: string): [string, string] {
    return [`${this.prefix}:{${profile}}:requests`, `${this.prefix}:{${profile}}:tokens`];
  }

  async acquire(profile: string, tokens: number): Promise<void> {
    const limits = this.options.limits[profile];
    if (!limits || (limits.rpm === undefined && limits.tpm === undefined)) return;
    const id = randomUUID();
    const amount = Math.max(0, Math.ceil(tokens));
    for (;;) {
      const wait = Number(
        await this.options.redis.eval(
          ACQUIRE,
          2,
          ...this.keys(profile),
          limits.rpm ?? 0,
          limits.tpm ?? 0,
          amount,
          this.windowMs,
          id,
        ),
      );
      if (wait <= 0) return;
      // A little jitter spreads waiters that were refused together.
      await new Promise((resolve) =>
        setTimeout(resolve, wait + Math.random() * Math.min(50, wait)),
      );
    }
  }

  settle(profile: string, estimated: number, actual: number): void {
    const limits = this.options.limits[profile];
    const delta = Math.ceil(actual) - Math.ceil(estimated);
    if (limits?.tpm === undefined || delta === 0) return;
    // Fire and forget (the interface is synchronous); a lost correction only loosens one estimate.
    this.options.redis
      .eval(SETTLE, 1, this.keys(profile)[1], randomUUID(), delta, this.windowMs)
      .catch(() => undefined);
  }
}
