/**
 * A batch's runs on worker threads (`agora batch --workers N`), so the client CPU of many runs'
 * LLM calls is spread over the machine's cores instead of one event loop. What the runs share
 * crosses threads as follows:
 *
 * - the budget and the LLM concurrency limit: shared memory (shared-memory.ts), checked
 *   synchronously by each call in its own thread;
 * - the rate limiter: the parent's, asked by message before each request of a profile with
 *   rpm/tpm (requests of other profiles ask nothing);
 * - identical requests in flight: each thread's own map. Their cache keys hold the run seed, so
 *   only runs of one seed can share; the parent hands a run to the thread already running its
 *   seed, if any;
 * - the response cache: its directory, as between processes (cacache is safe for that).
 */
import { threadId as mainThreadId, type Worker } from "node:worker_threads";
import type { RateLimiter } from "../../../agents/rate-limit.js";
import type { RunOptions } from "../run.js";
import { moduleThread } from "../server/thread.js";
import type { RunSpec } from "./plan.js";
import { runRow, type SummaryRow } from "./rows.js";
import type { FromThread, RunThreadConfig, ToThread } from "./thread-messages.js";

/** What the batch hears of a run on a thread (runner.ts turns it into batch.json, progress). */
export interface ThreadRunCallbacks {
  /** `thread`: the worker thread's threadId. */
  onBegin(mode: "start" | "resume", thread: number): void;
  onGeneration(generation: number): void;
  onRetry(info: Parameters<NonNullable<RunOptions["onRetry"]>>[0]): void;
  /** The run's status line (cli/progress.ts statusLine), when the config asks for them. */
  onStatus(line: string): void;
}

interface Pending {
  spec: RunSpec;
  callbacks: ThreadRunCallbacks;
  resolve: (row: SummaryRow) => void;
}

interface Slot {
  worker: Worker;
  /** Runs on this thread, by id. */
  runs: Map<string, Pending>;
}

export interface RunThreadsOptions extends RunThreadConfig {
  threads: number;
  /** The batch's rate limiter (in this thread), asked on the threads' behalf. */
  rateLimiter: RateLimiter;
}

/** Worker threads running a batch's runs: `run` hands one to a thread and resolves with its row. */
export class RunThreads {
  private readonly slots: Slot[] = [];
  private closing = false;
  private aborted = false;

  constructor(private readonly options: RunThreadsOptions) {
    for (let i = 0; i < options.threads; i++) this.slots.push(this.start());
  }

  /** Runs (or resumes, or skips) one run on a thread; never rejects (as runOne). */
  run(spec: RunSpec, callbacks: ThreadRunCallbacks): Promise<SummaryRow> {
    const slot =
      this.slots.find((s) => [...s.runs.values()].some((p) => p.spec.seed === spec.seed)) ??
      this.slots.reduce((best, s) => (s.runs.size < best.runs.size ? s : best));
    return new Promise((resolve) => {
      slot.runs.set(spec.id, { spec, callbacks, resolve });
      this.send(slot, { kind: "run", spec });
    });
  }

  /** Every run in progress stops after its current step (its row says interrupted). */
  abort(): void {
    this.aborted = true;
    for (const slot of this.slots) this.send(slot, { kind: "abort" });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private send(slot: Slot, message: ToThread): void {
    slot.worker.postMessage(message);
  }

  private start(): Slot {
    const { threads: _threads, rateLimiter: _rateLimiter, ...config } = this.options;
    const worker = moduleThread(
      "./thread-worker",
      import.meta.url,
      config satisfies RunThreadConfig,
    );
    const slot: Slot = { worker, runs: new Map() };
    let failure: Error | undefined;
    worker.on("message", (message: FromThread) => this.receive(slot, message));
    worker.on("error", (error) => (failure = error));
    worker.on("exit", (code) => {
      if (this.closing) return;
      // A thread that died (an uncaught error, out of memory) fails its runs, which the same
      // command with --retry-failed resumes; a fresh thread takes its place.
      const why = failure?.message ?? `exit code ${code}`;
      for (const { spec, resolve } of slot.runs.values()) {
        resolve(
          runRow(spec, this.options.batchId, this.options.batchDir, {
            status: "failed",
            error: `its worker thread stopped: ${why}`,
          }),
        );
      }
      slot.runs.clear();
      const index = this.slots.indexOf(slot);
      if (index >= 0) {
        this.slots[index] = this.start();
        if (this.aborted) this.send(this.slots[index]!, { kind: "abort" });
      }
    });
    return slot;
  }

  private receive(slot: Slot, message: FromThread): void {
    switch (message.kind) {
      case "rate-acquire":
        this.options.rateLimiter.acquire(message.profile, message.tokens).then(
          () => this.send(slot, { kind: "rate-granted", ticket: message.ticket }),
          (error: unknown) =>
            this.send(slot, {
              kind: "rate-failed",
              ticket: message.ticket,
              message: error instanceof Error ? error.message : String(error),
            }),
        );
        return;
      case "rate-settle":
        this.options.rateLimiter.settle?.(message.profile, message.estimated, message.actual);
        return;
      case "status":
        for (const [id, line] of message.lines) slot.runs.get(id)?.callbacks.onStatus(line);
        return;
    }
    const pending = slot.runs.get(message.id);
    if (!pending) return;
    switch (message.kind) {
      case "begin":
        pending.callbacks.onBegin(message.mode, slot.worker.threadId);
        return;
      case "generation":
        pending.callbacks.onGeneration(message.generation);
        return;
      case "retry": {
        const { agentId, profile, attempt, waitMs } = message;
        pending.callbacks.onRetry({
          agentId,
          profile,
          attempt,
          waitMs,
          error: new Error(message.message),
        });
        return;
      }
      case "end":
        slot.runs.delete(message.id);
        pending.resolve(message.row);
        return;
    }
  }
}

/** The thread a run executes on when a batch runs in this process (for onRunBegin). */
export const THIS_THREAD = mainThreadId;
