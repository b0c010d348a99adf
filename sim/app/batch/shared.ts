import pLimit from "p-limit";
import { Ledger, type Caps } from "../../../agents/ledger.js";
import type { SharedCallResources } from "../../../agents/mind-runtime.js";
import {
  LocalRateLimiter,
  rateLimitsOf,
  type RateLimiter,
  type RateLimits,
} from "../../../agents/rate-limit.js";
import { scenarioLookup } from "../scenarios.js";
import { resolveConfig } from "../../core/config.js";
import { readCheckpoint } from "../../core/recorder.js";
import { emptyTotals, type Totals } from "../../core/spend.js";
import type { RunSpec } from "./plan.js";
import { readRunManifest, runDirOf } from "./rows.js";
import { SharedLedger } from "./shared-memory.js";

/**
 * What every run of one batch process shares: one LLM concurrency limit, one rate limiter (per
 * profile), one budget and the answers in flight (identical requests reach the endpoint once).
 * The response cache is shared through its directory (cacache is safe for concurrent writers).
 */
export type SharedResources = SharedCallResources;

export interface SharedOptions {
  /** LLM calls in flight at once across all runs. */
  llmConcurrency: number;
  /** Default: an in-process LocalRateLimiter over `limits`. */
  rateLimiter?: RateLimiter;
  /** rpm/tpm per profile name, for the default limiter (see profileLimits). */
  limits?: Record<string, RateLimits>;
  /**
   * Batch-wide caps (--max-cost, --max-calls); calls already made by the batch's runs count (see
   * priorSpend).
   */
  caps?: Caps;
  spentBefore?: Totals;
  /**
   * With it the budget is a SharedLedger over this buffer (newLedgerBuffer), which the batch's
   * worker threads share (threads.ts).
   */
  budgetBuffer?: SharedArrayBuffer;
}

export function createSharedResources(options: SharedOptions): SharedResources {
  const budget = options.budgetBuffer
    ? new SharedLedger(options.caps ?? {}, options.budgetBuffer)
    : new Ledger(options.caps ?? {});
  if (options.spentBefore) budget.restore(options.spentBefore);
  return {
    limit: pLimit(options.llmConcurrency),
    rateLimiter: options.rateLimiter ?? new LocalRateLimiter(options.limits ?? {}),
    budget,
    inflight: new Map(),
  };
}

/**
 * rpm/tpm per profile name over every condition of a batch. Conditions may give one profile name
 * different limits (a grid over `profiles.x.rpm`); the strictest applies, since they share one key.
 */
export function profileLimits(specs: readonly RunSpec[]): Record<string, RateLimits> {
  const limits: Record<string, RateLimits> = {};
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.conditionLabel)) continue;
    seen.add(spec.conditionLabel);
    const { profiles } = resolveConfig(
      spec.raw,
      scenarioLookup(spec.configDir),
      {},
      spec.configDir,
    );
    for (const [name, profile] of Object.entries(rateLimitsOf(profiles))) {
      const entry = (limits[name] ??= {});
      for (const key of ["rpm", "tpm"] as const) {
        const value = profile[key];
        if (value !== undefined) entry[key] = Math.min(entry[key] ?? Infinity, value);
      }
    }
  }
  return limits;
}

/**
 * What the batch's runs have already used, as a re-started batch's budget starts from it: a
 * finished run's totals (completed, or failed and not retried), and an unfinished run's totals at
 * its checkpoint (the work after it is redone, and counted again, from the cache).
 */
export function priorSpend(
  batchDir: string,
  specs: readonly RunSpec[],
  retryFailed: boolean,
): Totals {
  const sum = emptyTotals();
  for (const spec of specs) {
    const dir = runDirOf(batchDir, spec.id);
    const manifest = readRunManifest(dir);
    if (!manifest) continue;
    const finished =
      manifest.status === "completed" || (manifest.status === "failed" && !retryFailed);
    const totals = finished ? manifest.totals : readCheckpoint(dir)?.totals;
    if (!totals) continue;
    for (const key of Object.keys(sum) as (keyof Totals)[]) sum[key] += totals[key] ?? 0;
  }
  sum.cost = Math.round(sum.cost * 1e9) / 1e9;
  sum.spent = Math.round(sum.spent * 1e9) / 1e9;
  return sum;
}
