/**
 * socket.io clients on a thread of their own (tests/server-load.test.ts), so that they keep going
 * while the test's thread, which runs the engine, is held busy on purpose. They talk to the test
 * through a shared Int32Array (readable while its thread is blocked) and messages.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { io, type Socket } from "socket.io-client";
import type { AgoraEvent } from "../../sim/core/events.js";
import type { RunSummary } from "../../sim/app/server/index.js";

/** Slots of the shared Int32Array. */
export const SLOT = {
  /** The test sets 1 while the engine's thread is held busy, 2 once it is released. */
  busy: 0,
  /** The test sets it: the seq after the last event published before the hold. */
  target: 1,
  /** Clients joining during the hold that have received every event below `target`. */
  caughtUp: 2,
  /** /api/runs answers received during the hold. */
  api: 3,
} as const;

export interface LoadPlan {
  url: string;
  runId: string;
  shared: SharedArrayBuffer;
  /** fromSeq of each client subscribing before the run starts, and during the hold. */
  early: number[];
  late: number[];
}

export interface ClientReport {
  fromSeq: number;
  late: boolean;
  /** The seqs received, in the order received. */
  seqs: number[];
  ended: boolean;
}

export type LoadMessage =
  { type: "ready" } | { type: "done"; clients: ClientReport[]; api: RunSummary[][] };

class Client {
  readonly report: ClientReport;
  private readonly socket: Socket;
  /** The seq after the last event received. */
  private next: number;
  private subscribed = false;
  private counted = false;

  constructor(
    private readonly plan: LoadPlan,
    private readonly shared: Int32Array,
    fromSeq: number,
    private readonly late: boolean,
  ) {
    this.report = { fromSeq, late, seqs: [], ended: false };
    this.next = fromSeq;
    this.socket = io(plan.url, { transports: ["websocket"], reconnection: false, forceNew: true });
    this.socket.on("events", (batch: AgoraEvent[]) => {
      for (const event of batch) {
        this.report.seqs.push(event.seq);
        if (event.type === "run-ended") this.report.ended = true;
      }
      this.next = (batch.at(-1)?.seq ?? this.next - 1) + 1;
      this.countIfCaughtUp();
    });
  }

  async subscribe(): Promise<void> {
    const ack = (await this.socket
      .timeout(30_000)
      .emitWithAck("subscribe", { runId: this.plan.runId, fromSeq: this.report.fromSeq })) as {
      ok: boolean;
    };
    if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
    this.subscribed = true;
    this.countIfCaughtUp();
  }

  /** A client joining during the hold counts once it has every event below the target. */
  private countIfCaughtUp(): void {
    if (!this.late || this.counted || !this.subscribed) return;
    if (Atomics.load(this.shared, SLOT.busy) !== 1) return;
    if (this.next < Atomics.load(this.shared, SLOT.target)) return;
    this.counted = true;
    Atomics.add(this.shared, SLOT.caughtUp, 1);
    Atomics.notify(this.shared, SLOT.caughtUp);
  }

  close(): void {
    this.socket.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(plan: LoadPlan): Promise<void> {
  const shared = new Int32Array(plan.shared);
  const post = (message: LoadMessage) => parentPort!.postMessage(message);
  const clients = plan.early.map((fromSeq) => new Client(plan, shared, fromSeq, false));
  await Promise.all(clients.map((c) => c.subscribe()));
  post({ type: "ready" });

  while (Atomics.load(shared, SLOT.busy) !== 1) await sleep(5);
  const late = plan.late.map((fromSeq) => new Client(plan, shared, fromSeq, true));
  clients.push(...late);
  const api: RunSummary[][] = [];
  await Promise.all([
    ...late.map((c) => c.subscribe()),
    (async () => {
      const res = await fetch(`${plan.url}/api/runs`);
      api.push((await res.json()) as RunSummary[]);
      Atomics.add(shared, SLOT.api, 1);
      Atomics.notify(shared, SLOT.api);
    })(),
  ]);

  const deadline = Date.now() + 60_000;
  while (!clients.every((c) => c.report.ended) && Date.now() < deadline) await sleep(10);
  post({ type: "done", clients: clients.map((c) => c.report), api });
  for (const c of clients) c.close();
}

// Imported by the test for SLOT and the types; run as the clients' thread.
if (!isMainThread) void main(workerData as LoadPlan);
