/**
 * The Agora server: the built viewer, `/api/runs` and a socket.io stream of a run's events on one
 * port. The protocol is documented in ./protocol.ts and in docs/viewer-protocol.md.
 *
 * The server runs on a thread of its own (./serve-worker.ts): it reads the events from
 * events.jsonl, where the recorder writes them before the engine's hooks run, and all the
 * engine's thread does for it is post a few numbers per batch of events and apply the viewer's
 * controls to the step gate. So neither the clients nor /api make the engine wait.
 */
import { join } from "node:path";
import { UsageError } from "../../core/errors.js";
import { PACKAGE_ROOT } from "../../core/version.js";
import type { LiveRun } from "./live-run.js";
import type { ClientStats } from "./socket.js";
import type { StreamLimits } from "./stream.js";
import { moduleThread } from "./thread.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./thread-messages.js";

export { LiveRun } from "./live-run.js";
export type { ClientStats } from "./socket.js";
export * from "./protocol.js";
export type * from "./batch-protocol.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 7420;
export const DEFAULT_LIMITS: StreamLimits = {
  batchIntervalMs: 50,
  maxBufferedEvents: 10_000,
  historyChunkBytes: 512 * 1024,
};
/** The built viewer: viewer/dist at the package root, from the sources and from the build alike. */
export const VIEWER_DIST = join(PACKAGE_ROOT, "viewer", "dist");

export interface ServerOptions extends Partial<StreamLimits> {
  /**
   * Recorded runs: the directories directly under this one. A batch directory (with batch.json)
   * serves its batch.
   */
  runsDir?: string;
  /**
   * A batch directory: the batch page (`GET /api/batch`) and its runs (DIR/runs/*; `runsDir`
   * defaults to it).
   */
  batchDir?: string;
  /** The run this process executes. */
  live?: LiveRun;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7420; 0 picks a free port. */
  port?: number;
  /** When set, /api and socket connections must present it. */
  token?: string;
  /** The built viewer; default viewer/dist. */
  staticDir?: string;
}

export interface AgoraServer {
  host: string;
  port: number;
  /** The viewer's address, with `?token=` when a token is set. */
  url: string;
  /** Serves a run this process executes as live (a batch adds each run as it starts). */
  addLive(live: LiveRun): void;
  /** Per-client stream state (for tests and diagnostics). */
  clients(): Promise<ClientStats[]>;
  /** Waits (at most timeoutMs) until every client has been handed every event it is due. */
  settle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The viewer URL for a host and port ("::1" → "http://[::1]:P/"). */
export function viewerUrl(host: string, port: number, token?: string): string {
  const shown =
    host === "0.0.0.0"
      ? "127.0.0.1"
      : host === "::"
        ? "[::1]"
        : host.includes(":") && !host.startsWith("[")
          ? `[${host}]`
          : host;
  return `http://${shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

export async function startServer(options: ServerOptions = {}): Promise<AgoraServer> {
  const host = options.host ?? DEFAULT_HOST;
  const config: WorkerConfig = {
    host,
    port: options.port ?? DEFAULT_PORT,
    staticDir: options.staticDir ?? VIEWER_DIST,
    limits: {
      batchIntervalMs: options.batchIntervalMs ?? DEFAULT_LIMITS.batchIntervalMs,
      maxBufferedEvents: options.maxBufferedEvents ?? DEFAULT_LIMITS.maxBufferedEvents,
      historyChunkBytes: options.historyChunkBytes ?? DEFAULT_LIMITS.historyChunkBytes,
    },
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.runsDir !== undefined ? { runsDir: options.runsDir } : {}),
    ...(options.batchDir !== undefined ? { batchDir: options.batchDir } : {}),
  };
  const worker = moduleThread("./serve-worker", import.meta.url, config);
  const send = (message: ToWorker) => worker.postMessage(message);
  const lives = new Map<string, LiveRun>();
  const unwatch: (() => void)[] = [];
  let exited = false;
  let requests = 0;
  const waiting = new Map<number, (message: FromWorker) => void>();
  /** Asks the server's thread; once it has stopped, `fallback` is the answer. */
  const ask = <T>(
    message: (requestId: number) => ToWorker,
    fallback: T,
    read: (m: FromWorker) => T,
  ) =>
    new Promise<T>((resolve) => {
      if (exited) return resolve(fallback);
      const requestId = ++requests;
      waiting.set(requestId, (answer) => resolve(read(answer)));
      send(message(requestId));
    });

  let onListening: ((port: number) => void) | undefined;
  let onFailed: ((error: Error) => void) | undefined;
  let onClosed: (() => void) | undefined;
  worker.on("message", (message: FromWorker) => {
    switch (message.type) {
      case "listening":
        return onListening?.(message.port);
      case "failed":
        // A port in use is the user's --port: a usage error (the CLI exits 2).
        return onFailed?.(
          message.usage ? new UsageError(message.message) : new Error(message.message),
        );
      case "closed":
        return onClosed?.();
      case "control": {
        const live = lives.get(message.runId);
        return send({
          type: "control-answer",
          requestId: message.requestId,
          answer: live
            ? live.control(message)
            : { ok: false, error: `unknown run: ${message.runId}` },
        });
      }
      default: {
        const answer = waiting.get(message.requestId);
        waiting.delete(message.requestId);
        return answer?.(message);
      }
    }
  });
  // A failing server never stops the run: it says so and the run goes on.
  worker.on("error", (error) => {
    onFailed?.(error);
    process.emitWarning(`viewer server failed: ${error.message}`);
  });
  worker.on("exit", () => {
    exited = true;
    for (const cleanup of unwatch.splice(0)) cleanup();
    for (const [, answer] of waiting) answer({ type: "closed" });
    waiting.clear();
    onFailed?.(new Error("the viewer server stopped before it listened"));
    onClosed?.();
  });

  const port = await new Promise<number>((resolve, reject) => {
    onListening = resolve;
    onFailed = reject;
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  onListening = undefined;
  onFailed = undefined;

  const addLive = (live: LiveRun) => {
    lives.set(live.id, live);
    const { id } = live;
    send({
      type: "live",
      run: {
        id,
        dir: live.dir,
        started: live.isStarted,
        nextSeq: live.nextSeq,
        state: live.state(),
        summary: live.summary(),
      },
    });
    unwatch.push(
      live.watch({
        started: () => send({ type: "started", id }),
        published: (nextSeq) => send({ type: "published", id, nextSeq }),
        changed: (state, summary) => send({ type: "changed", id, state, summary }),
      }),
    );
  };
  if (options.live) addLive(options.live);

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: viewerUrl(host, port, options.token),
    addLive,
    clients: () =>
      ask(
        (requestId) => ({ type: "clients", requestId }),
        [],
        (m) => (m.type === "clients" ? m.clients : []),
      ),
    settle: (timeoutMs) =>
      ask(
        (requestId) => ({ type: "settle", requestId, timeoutMs }),
        undefined,
        () => undefined,
      ),
    close: () =>
      (closing ??= (async () => {
        for (const cleanup of unwatch.splice(0)) cleanup();
        if (!exited) {
          await new Promise<void>((resolve) => {
            onClosed = resolve;
            send({ type: "close" });
          });
        }
        await worker.terminate();
      })()),
  };
}
