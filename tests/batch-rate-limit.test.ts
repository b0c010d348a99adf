/**
 * The per-profile rate limiter: token buckets for requests and tokens per minute, on a manual
 * clock (no wall time), alone and shared by the runs of a batch against the fake endpoint.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalRateLimiter, type Clock } from "../agents/rate-limit.js";
import { prepareBatch, runBatch } from "../sim/app/batch/runner.js";
import { profileLimits } from "../sim/app/batch/shared.js";
import {
  deterministicScript,
  llmConfig,
  llmWorkspace,
  sleep,
  writeConfig,
} from "./support/llm-helpers.js";

/** Time moves only when the test says so; sleepers wake when it passes their deadline. */
class ManualClock implements Clock {
  private t = 0;
  private sleepers: { until: number; wake: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ until: this.t + ms, wake }));
  }

  get waiting(): number {
    return this.sleepers.length;
  }

  /** Jumps to the earliest sleeper's deadline and wakes everyone due. */
  advanceToNext(): void {
    this.t = Math.min(...this.sleepers.map((s) => s.until));
    const due = this.sleepers.filter((s) => s.until <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.until > this.t);
    for (const s of due) s.wake();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Starts the acquisitions in order and drives the clock until all are granted; returns each grant's
 * clock time.
 */
async function grantTimes(
  clock: ManualClock,
  acquisitions: (() => Promise<void>)[],
): Promise<number[]> {
  const times: number[] = [];
  let done = 0;
  acquisitions.forEach(
    (acquire, i) =>
      void acquire().then(() => {
        times[i] = clock.now();
        done++;
      }),
  );
  while (done < acquisitions.length) {
    await settle();
    if (done < acquisitions.length && clock.waiting > 0) clock.advanceToNext();
  }
  return times;
}

describe("LocalRateLimiter", () => {
  it("rpm: a minute's burst at once, then one request every 60/rpm s, in arrival order", async () => {
    const clock = new ManualClock();
    const limiter = new LocalRateLimiter({ p: { rpm: 3 } }, clock);
    const times = await grantTimes(
      clock,
      Array.from({ length: 7 }, () => () => limiter.acquire("p", 100)),
    );
    expect(times).toEqual([0, 0, 0, 20_000, 40_000, 60_000, 80_000]);
  });

  it("tpm: requests wait for the tokens they ask for; an estimate corrected upwards delays the next", async () => {
    const clock = new ManualClock();
    const limiter = new LocalRateLimiter({ p: { tpm: 1000 } }, clock);
    expect(
      await grantTimes(
        clock,
        [600, 600, 600].map((n) => () => limiter.acquire("p", n)),
      ),
    ).toEqual([0, 12_000, 48_000]);

    const corrected = new LocalRateLimiter({ p: { tpm: 1000 } }, clock);
    const start = clock.now();
    await grantTimes(clock, [() => corrected.acquire("p", 600)]);
    corrected.settle("p", 600, 900); // it used 900: 100 tokens left instead of 400
    const [next] = await grantTimes(clock, [() => corrected.acquire("p", 600)]);
    expect(next! - start).toBe(30_000);
  });

  it("a request larger than a minute's tokens waits for a full bucket; a later small one waits behind it", async () => {
    const clock = new ManualClock();
    const limiter = new LocalRateLimiter({ p: { tpm: 100 } }, clock);
    const times = await grantTimes(clock, [
      () => limiter.acquire("p", 100),
      () => limiter.acquire("p", 5000),
      () => limiter.acquire("p", 1),
    ]);
    expect(times).toEqual([0, 60_000, 60_600]);
  });

  it("keeps profiles apart; a profile without limits never waits", async () => {
    const clock = new ManualClock();
    const limiter = new LocalRateLimiter({ slow: { rpm: 1 }, fast: { rpm: 60 } }, clock);
    const times = await grantTimes(clock, [
      () => limiter.acquire("slow", 1),
      () => limiter.acquire("slow", 1),
      () => limiter.acquire("fast", 1),
      () => limiter.acquire("fast", 1),
      () => limiter.acquire("free", 1),
    ]);
    expect(times).toEqual([0, 60_000, 0, 0, 0]);
  });
});

const workspace = llmWorkspace("batch-rate");

describe("one limiter shared by a batch's runs", () => {
  // With worker threads the runs ask the main thread's limiter by message (threads.ts).
  it.each([1, 2])(
    "the profile's rpm holds over all runs together (%i thread(s))",
    async (workers) => {
      const { work, fake } = await workspace.setup();
      const RPM = 12;
      const config = llmConfig({
        baseURL: fake.baseURL,
        cacheDir: join(work, "cache"),
        size: 4,
        generations: 1,
      });
      (config.profiles as Record<string, Record<string, unknown>>).fake!.rpm = RPM;
      const plan = prepareBatch({
        configPath: writeConfig(work, "rate.yaml", config),
        seeds: "0..2",
      });
      expect(profileLimits(plan.specs)).toEqual({ fake: { rpm: RPM } });

      const clock = new ManualClock();
      const received: number[] = [];
      const script = deterministicScript();
      fake.setScript((req, index) => {
        received.push(clock.now());
        return script(req, index);
      });
      let finished = false;
      const batch = runBatch(plan, {
        out: join(work, "batch"),
        concurrency: 3,
        llmConcurrency: 16,
        workers,
        rateLimiter: new LocalRateLimiter(profileLimits(plan.specs), clock),
        env: { FAKE_KEY: "sk-rate" },
      }).finally(() => (finished = true));
      while (!finished) {
        await sleep(2);
        if (clock.waiting > 0) clock.advanceToNext();
      }
      const result = await batch;
      expect(result.status).toBe("completed");
      // Every call of every run went through the one limiter: at most RPM at once, then RPM per
      // minute.
      const calls = result.rows.reduce((n, r) => n + r.llm_calls, 0);
      expect(received).toHaveLength(calls);
      expect(calls).toBeGreaterThan(3 * RPM);
      received.forEach((t, i) =>
        expect(i + 1, `request ${i + 1} at ${t} ms`).toBeLessThanOrEqual(
          RPM + Math.floor((t * RPM) / 60_000),
        ),
      );
      expect(received.at(-1)).toBeGreaterThanOrEqual(((calls - RPM) * 60_000) / RPM);
    },
  );
});
