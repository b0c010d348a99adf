/**
 * The batch-wide budget and LLM concurrency limit of a batch whose runs execute on worker threads
 * (threads.ts): both live in SharedArrayBuffers that every thread updates with Atomics, so a call
 * in any thread reserves its slot synchronously against the whole batch (no message round trip,
 * no overshoot of a max-calls cap) and the parent reads live totals for progress and batch.json.
 */
import pLimit, { type LimitFunction } from "p-limit";
import { Ledger, type Caps, type LedgerEntry } from "../../../agents/ledger.js";
import { BudgetExhaustedError } from "../../core/errors.js";
import { emptyTotals, type Totals } from "../../core/spend.js";

/** Costs are kept on the Ledger's grid of 1e-9 USD, as integers, so every thread adds exactly. */
const COST_GRID = 1e9;

/** The budget's slots; CLAIMED is calls + calls in flight (what max-calls caps). */
const CLAIMED = 0;
const FIELDS = [
  "calls",
  "tokensIn",
  "tokensOut",
  "cost",
  "spent",
  "unpricedCalls",
  "cacheHits",
  "retries",
  "truncated",
  "contextExceeded",
] as const satisfies readonly (keyof Totals)[];
const slot = (field: keyof Totals): number => 1 + FIELDS.indexOf(field as (typeof FIELDS)[number]);
const isCost = (field: keyof Totals): boolean => field === "cost" || field === "spent";

/** A buffer for a SharedLedger, to hand to worker threads (workerData). */
export const newLedgerBuffer = (): SharedArrayBuffer =>
  new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT * (1 + FIELDS.length));

/**
 * A Ledger whose run totals live in shared memory: every thread's instance over one buffer sees and
 * caps the same totals. Only run totals are kept (a batch budget has no per-generation or per-agent
 * rows).
 */
export class SharedLedger extends Ledger {
  private readonly cells: BigInt64Array;

  constructor(caps: Caps, buffer: SharedArrayBuffer) {
    super(caps);
    this.cells = new BigInt64Array(buffer);
    // `run` is a field of Ledger; here it reads (and restore writes) the shared totals.
    Object.defineProperty(this, "run", {
      get: () => this.totals(),
      set: (totals: Totals) => this.store(totals),
    });
  }

  override reserve(): void {
    this.checkCost();
    const { maxCalls } = this.caps;
    for (;;) {
      const claimed = Atomics.load(this.cells, CLAIMED);
      if (maxCalls !== undefined && claimed >= BigInt(maxCalls))
        throw new BudgetExhaustedError(`max-calls cap of ${maxCalls} reached`);
      if (Atomics.compareExchange(this.cells, CLAIMED, claimed, claimed + 1n) === claimed) return;
    }
  }

  override release(): void {
    Atomics.sub(this.cells, CLAIMED, 1n);
  }

  override record(entry: LedgerEntry): void {
    if (entry.truncated) this.add("truncated", 1);
    if (entry.contextExceeded) this.add("contextExceeded", 1);
    // As Ledger.record: a prompt refused before sending is no call.
    if (!entry.sent) return;
    // The call moves from in flight to made: CLAIMED stays until release() drops the slot.
    Atomics.add(this.cells, CLAIMED, 1n);
    this.add("calls", 1);
    this.add("tokensIn", entry.tokensIn);
    this.add("tokensOut", entry.tokensOut);
    this.add("retries", entry.retries);
    if (entry.cost === null) this.add("unpricedCalls", 1);
    else {
      this.add("cost", entry.cost);
      if (!entry.cached) this.add("spent", entry.cost);
    }
    if (entry.cached) this.add("cacheHits", 1);
  }

  private add(field: keyof Totals, value: number): void {
    const scaled = isCost(field) ? Math.round(value * COST_GRID) : Math.round(value);
    Atomics.add(this.cells, slot(field), BigInt(scaled));
  }

  private read(field: keyof Totals): number {
    const value = Number(Atomics.load(this.cells, slot(field)));
    return isCost(field) ? value / COST_GRID : value;
  }

  private totals(): Totals {
    const totals = emptyTotals();
    for (const field of FIELDS) totals[field] = this.read(field);
    return totals;
  }

  private store(totals: Totals): void {
    const full = { ...emptyTotals(), ...totals };
    for (const field of FIELDS) {
      const scaled = isCost(field) ? Math.round(full[field] * COST_GRID) : full[field];
      Atomics.store(this.cells, slot(field), BigInt(scaled));
    }
    Atomics.store(this.cells, CLAIMED, BigInt(full.calls));
  }
}

/** Atomics.waitAsync (Node 16 on; in TypeScript's lib from ES2024, this project's is ES2022). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync.bind(Atomics);

/** A buffer for crossThreadLimit: one counter of slots in use. */
export const newLimitBuffer = (): SharedArrayBuffer =>
  new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);

/**
 * A p-limit function whose `concurrency` slots are shared by every thread holding one over the same
 * buffer. Within a thread, callers queue in order (a local p-limit); across threads, a freed slot
 * goes to whichever thread claims it first.
 */
export function crossThreadLimit(buffer: SharedArrayBuffer, concurrency: number): LimitFunction {
  const used = new Int32Array(buffer);
  const acquire = async (): Promise<void> => {
    for (;;) {
      const now = Atomics.load(used, 0);
      if (now < concurrency) {
        if (Atomics.compareExchange(used, 0, now, now + 1) === now) return;
        continue;
      }
      const waiting = waitAsync(used, 0, now);
      if (waiting.async) await waiting.value;
    }
  };
  const release = (): void => {
    Atomics.sub(used, 0, 1);
    Atomics.notify(used, 0, 1);
  };
  // This thread never holds more slots than the whole batch may.
  const local = pLimit(concurrency);
  const limit = <Arguments extends unknown[], Result>(
    fn: (...args: Arguments) => PromiseLike<Result> | Result,
    ...args: Arguments
  ): Promise<Result> =>
    local(async () => {
      await acquire();
      try {
        return await fn(...args);
      } finally {
        release();
      }
    });
  return Object.defineProperties(limit, {
    activeCount: { get: () => local.activeCount },
    pendingCount: { get: () => local.pendingCount },
    concurrency: { get: () => concurrency },
    clearQueue: { value: () => local.clearQueue() },
    map: {
      value: <Input, Result>(
        inputs: Iterable<Input>,
        fn: (input: Input, index: number) => PromiseLike<Result> | Result,
      ) => Promise.all([...inputs].map((input, i) => limit(fn, input, i))),
    },
  }) as LimitFunction;
}
