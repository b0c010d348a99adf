/**
 * The messages between the engine's thread (sim/app/server/index.ts) and the server's
 * (serve-worker.ts). The engine's side sends only small ones: events travel through events.jsonl.
 */
import type { ControlAck, ControlRequest, RunState, RunSummary } from "./protocol.js";
import type { ClientStats } from "./socket.js";
import type { StreamLimits } from "./stream.js";

/** What the server's thread starts with (its workerData). */
export interface WorkerConfig {
  host: string;
  port: number;
  token?: string;
  staticDir: string;
  runsDir?: string;
  batchDir?: string;
  limits: StreamLimits;
}

/** A live run as the server's thread first learns of it. */
export interface LiveIntro {
  id: string;
  dir: string;
  started: boolean;
  nextSeq: number;
  state: RunState;
  summary: RunSummary;
}

export type ToWorker =
  | { type: "live"; run: LiveIntro }
  | { type: "started"; id: string }
  | { type: "published"; id: string; nextSeq: number }
  | { type: "changed"; id: string; state: RunState; summary: RunSummary }
  | { type: "control-answer"; requestId: number; answer: ControlAck }
  | { type: "clients"; requestId: number }
  | { type: "settle"; requestId: number; timeoutMs: number }
  | { type: "close" };

export type FromWorker =
  | { type: "listening"; port: number }
  /** `usage`: the user's flags are at fault (a port in use), so the CLI exits 2. */
  | { type: "failed"; message: string; usage: boolean }
  | ({ type: "control"; requestId: number } & ControlRequest)
  | { type: "clients"; requestId: number; clients: ClientStats[] }
  | { type: "settled"; requestId: number }
  | { type: "closed" };
