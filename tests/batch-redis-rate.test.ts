/**
 * The Redis rate limiter on a real redis-server: limiters on separate connections (as on separate
 * workers) share one allowance per profile, for requests and for tokens (with settle's
 * corrections); other profiles are not held up. Asserts on counts per window, with slack for
 * scheduling, never on exact times.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRateLimiter } from "../agents/rate-limit-redis.js";
import { startRedis, type RedisServer } from "./support/redis.js";

const WINDOW_MS = 600;
/**
 * How late a caller may see its admission on a busy machine (the window checked is shortened by
 * it).
 */
const SLACK_MS = 150;

let server: RedisServer;
const connections: Redis[] = [];
let prefixes = 0;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const c of connections) c.disconnect();
  await server?.stop();
});

/** Two limiters on their own connections sharing a fresh key prefix: two workers of one queue. */
function twoWorkers(
  limits: ConstructorParameters<typeof RedisRateLimiter>[0]["limits"],
  windowMs = WINDOW_MS,
): [RedisRateLimiter, RedisRateLimiter] {
  const prefix = `test:${++prefixes}`;
  const make = () => {
    const redis = new Redis(server.url);
    connections.push(redis);
    return new RedisRateLimiter({ redis, limits, windowMs, prefix });
  };
  return [make(), make()];
}

/** Admission times of `n` acquisitions started at once, alternating between the limiters. */
async function admissions(
  limiters: RedisRateLimiter[],
  profile: string,
  n: number,
  tokens = 1,
): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      limiters[i % limiters.length]!.acquire(profile, tokens).then(() => times.push(Date.now())),
    ),
  );
  return times.sort((a, b) => a - b);
}

function busiest(times: number[], width: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j]! < times[i]! + width) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe("RedisRateLimiter", () => {
  it("admits at most rpm requests per window across two limiters, and uses the allowance", async () => {
    const workers = twoWorkers({ p: { rpm: 4 } });
    const start = Date.now();
    const times = await admissions(workers, "p", 12);
    expect(times).toHaveLength(12);
    expect(busiest(times, WINDOW_MS - SLACK_MS)).toBeLessThanOrEqual(4);
    // The allowance is used, not just respected: some window (plus slack) admitted all four.
    expect(busiest(times, WINDOW_MS + SLACK_MS)).toBeGreaterThanOrEqual(4);
    // Twelve requests at four per window need at least two more windows after the first.
    expect(times.at(-1)! - start).toBeGreaterThanOrEqual(2 * WINDOW_MS - SLACK_MS);
  });

  it("counts tokens per window, lets an oversized request through alone, and takes settle's corrections", async () => {
    const workers = twoWorkers({ t: { tpm: 100 } });
    // 40 tokens each: two fit in a window of 100, not three.
    const times = await admissions(workers, "t", 6, 40);
    expect(busiest(times, WINDOW_MS - SLACK_MS)).toBeLessThanOrEqual(2);

    // A request larger than the whole allowance waits for an empty window, then goes.
    const [first] = workers;
    await first.acquire("t", 250);
    const afterBig = Date.now();
    await first.acquire("t", 10);
    expect(Date.now() - afterBig).toBeGreaterThanOrEqual(WINDOW_MS - SLACK_MS);

    // An estimate of 10 that really used 95: the next 10 must wait for the window to pass.
    const [, second] = twoWorkers({ u: { tpm: 100 } });
    await second.acquire("u", 10);
    second.settle("u", 10, 95);
    await new Promise((r) => setTimeout(r, 50)); // the correction is sent without waiting
    const before = Date.now();
    await second.acquire("u", 10);
    expect(Date.now() - before).toBeGreaterThanOrEqual(WINDOW_MS - SLACK_MS - 50);
  });

  it("holds only the limited profile: others, and profiles without limits, pass while it waits", async () => {
    // A long window: the second "slow" request is still waiting when the test ends (and is
    // dropped).
    const workers = twoWorkers({ slow: { rpm: 1 }, other: { rpm: 50 } }, 60_000);
    await workers[0].acquire("slow", 1);
    let slowAdmitted = false;
    workers[1].acquire("slow", 1).then(
      () => (slowAdmitted = true),
      () => undefined,
    );
    expect(await admissions(workers, "other", 10)).toHaveLength(10);
    expect(await admissions(workers, "unlimited", 10)).toHaveLength(10);
    expect(slowAdmitted).toBe(false);
  });
});
