/** The messages between a batch (threads.ts) and its worker threads (thread-worker.ts). */
import type { Caps } from "../../../agents/ledger.js";
import type { RateLimits } from "../../../agents/rate-limit.js";
import type { RunSpec } from "./plan.js";
import type { SummaryRow } from "./rows.js";

export interface RunThreadConfig {
  batchDir: string;
  batchId: string;
  retryFailed: boolean;
  /** The batch budget's totals (SharedLedger) and its caps. */
  ledger: SharedArrayBuffer;
  caps: Caps;
  /** The batch-wide LLM concurrency limit (crossThreadLimit). */
  llmSlots: SharedArrayBuffer;
  llmConcurrency: number;
  /** Profiles with rpm/tpm: only their requests ask the parent's rate limiter. */
  limits: Record<string, RateLimits>;
  /** Each active run's status line every so often (for a progress display on a terminal). */
  statusEveryMs: number | null;
  env?: NodeJS.ProcessEnv;
}

export type ToThread =
  | { kind: "run"; spec: RunSpec }
  | { kind: "abort" }
  | { kind: "rate-granted"; ticket: number }
  | { kind: "rate-failed"; ticket: number; message: string };

export type FromThread =
  | { kind: "begin"; id: string; mode: "start" | "resume" }
  | { kind: "generation"; id: string; generation: number }
  | {
      kind: "retry";
      id: string;
      agentId: string;
      profile: string;
      attempt: number;
      message: string;
      waitMs: number;
    }
  | { kind: "status"; lines: [id: string, line: string][] }
  | { kind: "end"; id: string; row: SummaryRow }
  | { kind: "rate-acquire"; ticket: number; profile: string; tokens: number }
  | { kind: "rate-settle"; profile: string; estimated: number; actual: number };
