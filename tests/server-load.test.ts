/**
 * The live server keeps up without the engine: it runs on a thread of its own, so many clients,
 * late joiners reading the history, /api/runs and a client that stops reading are all served
 * while the engine's thread is held busy (as a long step or the set-up of a large graph hold it),
 * and none of them holds the engine back. Checked by completeness and order, not by time: the
 * clients run on a thread of their own too (tests/support/load-clients.ts), the engine in this one.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { io, type Socket as ClientSocket } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { StepGate } from "../sim/app/control.js";
import { startRun } from "../sim/app/run.js";
import { LiveRun, startServer, type RunSummary } from "../sim/app/server/index.js";
import { moduleThread } from "../sim/app/server/thread.js";
import type { AgoraEvent } from "../sim/core/events.js";
import { SLOT, type LoadMessage, type LoadPlan } from "./support/load-clients.js";
import { readEvents, sleep, tempDir, writeConfig } from "./support/llm-helpers.js";

const tmp = tempDir("server-load");
afterAll(() => tmp.cleanup());

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Messages from the clients' thread, waited for by type. */
function messages(worker: Worker) {
  const received: LoadMessage[] = [];
  worker.on("message", (m: LoadMessage) => received.push(m));
  let failure: Error | undefined;
  worker.on("error", (error) => (failure = error));
  return async <T extends LoadMessage["type"]>(type: T) => {
    await until(() => failure !== undefined || received.some((m) => m.type === type), type);
    if (failure) throw failure;
    return received.find((m) => m.type === type) as Extract<LoadMessage, { type: T }>;
  };
}

describe("the live server under load", () => {
  it("serves 40 clients, late joiners and /api/runs while the engine's thread is held busy, and a stalled client holds back neither the others nor the engine", async () => {
    // 120 agents on the complete graph: run-started alone (7,140 edges) is many history chunks.
    const configPath = writeConfig(tmp.path, "load.yaml", {
      scenario: "donor-game",
      seed: 3,
      generations: 2,
      population: {
        size: 120,
        minds: [
          { count: 40, policy: "tit-for-tat" },
          { count: 40, policy: "image-scoring" },
          { count: 40, policy: "random" },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    const gate = new StepGate({ paused: true });
    const live = new LiveRun({ dir: join(tmp.path, "runs", "live"), scenario: "donor-game", gate });
    const limit = 200;
    const server = await startServer({
      runsDir: join(tmp.path, "runs"),
      live,
      port: 0,
      historyChunkBytes: 16 * 1024,
      maxBufferedEvents: limit,
    });
    const url = `http://127.0.0.1:${server.port}`;
    const shared = new SharedArrayBuffer(4 * 4);
    const slots = new Int32Array(shared);
    const plan: LoadPlan = {
      url,
      runId: live.id,
      shared,
      early: [...range(1, 13).map(() => 0), 1, 7],
      late: [...range(1, 21).map(() => 0), 2, 40, 500, 1000],
    };
    const worker = moduleThread("./support/load-clients", import.meta.url, plan);
    const next = messages(worker);
    let stalled: ClientSocket | undefined;
    try {
      await next("ready");

      // A client that stops reading: long-polling, paused once its first poll returns.
      stalled = io(url, { transports: ["polling"], reconnection: false, forceNew: true });
      const stalledEvents: AgoraEvent[] = [];
      stalled.on("events", (batch: AgoraEvent[]) => stalledEvents.push(...batch));
      let stalledStates = 0;
      stalled.on("run-state", () => stalledStates++);
      expect(
        await stalled.timeout(10_000).emitWithAck("subscribe", { runId: live.id }),
      ).toMatchObject({ ok: true });
      await until(() => stalledStates > 0, "the stalled client's first run-state");
      type PollingTransport = {
        pause(onPause: () => void): void;
        readyState: string;
        _poll(): void;
      };
      const transport = (stalled.io as unknown as { engine: { transport: PollingTransport } })
        .engine.transport;
      const paused = new Promise<void>((resolve) => transport.pause(resolve));

      // The engine's thread is blocked inside its 6th step until the late clients have joined and
      // caught up and /api/runs has answered (or a minute has passed): only a server on another
      // thread can do that.
      let steps = 0;
      let servedWhileBusy = false;
      let publishedBeforeHold = 0;
      const done = startRun(configPath, {
        out: live.dir,
        onStart: live.onStart,
        hooks: {
          ...live.hooks,
          beforeStep: async (step, generation) => {
            await live.hooks.beforeStep(step, generation);
            if (++steps !== 6) return;
            publishedBeforeHold = live.nextSeq;
            Atomics.store(slots, SLOT.target, live.nextSeq);
            Atomics.store(slots, SLOT.busy, 1);
            const served = () =>
              Atomics.load(slots, SLOT.caughtUp) === plan.late.length &&
              Atomics.load(slots, SLOT.api) >= 1;
            const deadline = Date.now() + 60_000;
            // Sleeps until a client counts itself (or 20 ms), never spins.
            while (!served() && Date.now() < deadline)
              Atomics.wait(slots, SLOT.caughtUp, Atomics.load(slots, SLOT.caughtUp), 20);
            servedWhileBusy = served();
            Atomics.store(slots, SLOT.busy, 2);
          },
        },
      }).then((result) => {
        live.finish(result);
        return result;
      });
      gate.resume();
      await paused;

      // The run ends while the stalled client still reads nothing.
      expect((await done).status).toBe("completed");
      expect(servedWhileBusy).toBe(true);
      const log = readEvents(live.dir);
      const total = log.length;
      expect(log.at(-1)?.type).toBe("run-ended");
      expect(total).toBeGreaterThan(limit * 10);
      expect(publishedBeforeHold).toBeGreaterThan(1);

      const { clients, api } = await next("done");
      expect(clients).toHaveLength(plan.early.length + plan.late.length);
      for (const client of clients) {
        // Every event from its fromSeq, each once, in order: history, then live.
        expect(client.ended, JSON.stringify(client.fromSeq)).toBe(true);
        expect(client.seqs).toEqual(range(client.fromSeq, total - 1));
      }
      // /api/runs answered during the hold, with the run as it stood.
      const row = api[0]!.find((r: RunSummary) => r.id === live.id);
      expect(row).toMatchObject({ status: "running", live: true, generation: 1 });

      // The stalled client's backlog on the server stayed bounded; once it reads again it catches
      // up from events.jsonl with no gap and no duplicate.
      const stats = (await server.clients()).find((c) => c.socketId === stalled!.id)!;
      expect(stats.buffered).toBeLessThanOrEqual(limit);
      // While it followed live it could be handed batches of up to `limit` events in all (one
      // event or more each) before it overflowed, then a history chunk and a run-state at most.
      expect(stats.queuedMessages).toBeLessThanOrEqual(limit + 2);
      expect(stats.sentSeq).toBeLessThan(total);
      expect(stalledEvents.some((e) => e.type === "run-ended")).toBe(false);
      transport.readyState = "open";
      transport._poll();
      await until(() => stalledEvents.some((e) => e.type === "run-ended"), "the stalled client");
      expect(stalledEvents).toEqual(log);
    } finally {
      stalled?.disconnect();
      gate.resume();
      await worker.terminate();
      await server.close();
    }
  }, 180_000);
});
