/**
 * A batch's worker thread (started by threads.ts): runs the runs it is handed with runOne, sharing
 * the batch's budget and LLM limit through shared memory, its rate limiter and progress through
 * messages to the parent. In-flight sharing of identical requests needs no crossing: the parent
 * hands runs of one seed (the only runs whose requests can coincide) to one thread at a time.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { RateLimiter } from "../../../agents/rate-limit.js";
import { statusLine } from "../cli/progress.js";
import type { RunHandle } from "../run.js";
import { runOne } from "./run-one.js";
import { crossThreadLimit, SharedLedger } from "./shared-memory.js";
import type { SharedResources } from "./shared.js";
import type { FromThread, RunThreadConfig, ToThread } from "./thread-messages.js";

const port = parentPort!;
const config = workerData as RunThreadConfig;
const post = (message: FromThread) => port.postMessage(message);
const abort = new AbortController();

/** Asks the parent's limiter (one for the whole batch); profiles without rpm/tpm never wait. */
const granted = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let tickets = 0;
const rateLimiter: RateLimiter = {
  acquire(profile, tokens) {
    if (!config.limits[profile]) return Promise.resolve();
    const ticket = ++tickets;
    return new Promise((resolve, reject) => {
      granted.set(ticket, { resolve, reject });
      post({ kind: "rate-acquire", ticket, profile, tokens });
    });
  },
  settle(profile, estimated, actual) {
    if (config.limits[profile]) post({ kind: "rate-settle", profile, estimated, actual });
  },
};

const shared: SharedResources = {
  limit: crossThreadLimit(config.llmSlots, config.llmConcurrency),
  rateLimiter,
  budget: new SharedLedger(config.caps, config.ledger),
  inflight: new Map(),
};

const active = new Map<string, { handle?: RunHandle; startedAt: number }>();
if (config.statusEveryMs !== null) {
  setInterval(() => {
    const lines: [string, string][] = [];
    for (const [id, { handle, startedAt }] of active) {
      if (handle) lines.push([id, statusLine(handle, startedAt, handle.loaded.config.generations)]);
    }
    if (lines.length > 0) post({ kind: "status", lines });
  }, config.statusEveryMs).unref();
}

async function run(spec: ToThread & { kind: "run" }): Promise<void> {
  const { id } = spec.spec;
  const own = { startedAt: Date.now() } as { handle?: RunHandle; startedAt: number };
  active.set(id, own);
  try {
    const row = await runOne(spec.spec, config.batchDir, shared, {
      batch: config.batchId,
      retryFailed: config.retryFailed,
      signal: abort.signal,
      ...(config.env ? { env: config.env } : {}),
      onBegin: (mode) => post({ kind: "begin", id, mode }),
      onStart: (handle) => (own.handle = handle),
      onRetry: (info) =>
        post({
          kind: "retry",
          id,
          agentId: info.agentId,
          profile: info.profile,
          attempt: info.attempt,
          message: info.error instanceof Error ? info.error.message : String(info.error),
          waitMs: info.waitMs,
        }),
      hooks: {
        onGenerationEnd: (info) => post({ kind: "generation", id, generation: info.generation }),
      },
    });
    post({ kind: "end", id, row });
  } finally {
    active.delete(id);
  }
}

port.on("message", (message: ToThread) => {
  switch (message.kind) {
    case "run":
      // runOne never throws for a failing run: anything else ends this thread, and the parent
      // records its runs as failed (threads.ts).
      void run(message);
      break;
    case "abort":
      abort.abort();
      break;
    case "rate-granted":
      granted.get(message.ticket)?.resolve();
      granted.delete(message.ticket);
      break;
    case "rate-failed":
      granted.get(message.ticket)?.reject(new Error(message.message));
      granted.delete(message.ticket);
      break;
  }
});
