/**
 * Serving a batch while it runs (`agora batch --serve`): the server with the batch page, and each
 * run made live as it starts, so the viewer streams it and its controls apply.
 *
 *   const live = await serveBatch(batchDir, { port, host, token });
 *   // per run, around runOne:
 *   const tracked = live.track(spec.id, scenarioId, batchDir, { hooks, onStart, signal });
 *   const row = await runOne(spec, batchDir, shared, { ...options, ...tracked.options });
 *   tracked.finish(row.status);
 */
import { join } from "node:path";
import type { EngineHooks } from "../../core/engine.js";
import type { RunStatus } from "../../core/events.js";
import type { RunHandle } from "../run.js";
import { startServer, type AgoraServer, type ServerOptions } from "./index.js";
import { LiveRun } from "./live-run.js";

export interface TrackedRunOptions {
  hooks?: EngineHooks;
  onStart?: (handle: RunHandle) => void;
  /** The run's abort signal: it also wakes a paused run. */
  signal?: AbortSignal;
}

export interface LiveBatch {
  server: AgoraServer;
  /**
   * Serves run `id` (DIR/runs/<id>) as live from now on. `options.hooks` and `options.onStart` are
   * the caller's own; the returned ones call the live run's and then the caller's.
   */
  track(
    id: string,
    scenario: string,
    batchDir: string,
    options?: TrackedRunOptions,
  ): {
    live: LiveRun;
    options: { hooks: EngineHooks; onStart: (handle: RunHandle) => void };
    finish(status: RunStatus | "pending"): void;
  };
}

export async function serveBatch(
  batchDir: string,
  options: Omit<ServerOptions, "batchDir" | "runsDir" | "live"> = {},
): Promise<LiveBatch> {
  const server = await startServer({ ...options, batchDir });
  return {
    server,
    track(id, scenario, dir, own = {}) {
      const live = new LiveRun({
        dir: join(dir, "runs", id),
        scenario,
        ...(own.signal ? { signal: own.signal } : {}),
      });
      server.addLive(live);
      const mine = own.hooks ?? {};
      return {
        live,
        options: {
          hooks: {
            onEvents: (events) => {
              live.hooks.onEvents(events);
              mine.onEvents?.(events);
            },
            beforeStep: async (step, generation) => {
              await live.hooks.beforeStep(step, generation);
              await mine.beforeStep?.(step, generation);
            },
            onGenerationEnd: (info) => {
              live.hooks.onGenerationEnd(info);
              mine.onGenerationEnd?.(info);
            },
          },
          onStart: (handle) => {
            live.onStart(handle);
            own.onStart?.(handle);
          },
        },
        // A run that never started (skipped, or failed before its engine) is not left "running".
        finish: (status) => live.finish({ status: status === "pending" ? "interrupted" : status }),
      };
    },
  };
}
