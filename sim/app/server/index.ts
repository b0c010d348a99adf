/**
 * The Agora server: the built viewer, `/api/runs` and a socket.io stream of a run's events on one
 * port. The protocol is documented in ./protocol.ts and in the README ("Live viewer").
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Server } from "socket.io";
import { UsageError } from "../../core/errors.js";
import { PACKAGE_ROOT } from "../../core/version.js";
import { BATCH_FILE } from "../batch/batch-file.js";
import { browserRequestAllowed, isLoopbackHost } from "./auth.js";
import { BatchSource } from "./batch-state.js";
import { createRequestHandler } from "./http.js";
import type { LiveRun } from "./live-run.js";
import { RunRegistry } from "./run-registry.js";
import { attachSockets, type AgoraIo, type ClientStats } from "./socket.js";
import type { StreamLimits } from "./stream.js";

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
  registry: RunRegistry;
  http: HttpServer;
  io: AgoraIo;
  /** Per-client stream state (for tests and diagnostics). */
  clients(): ClientStats[];
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
  const requestedPort = options.port ?? DEFAULT_PORT;
  const limits: StreamLimits = {
    batchIntervalMs: options.batchIntervalMs ?? DEFAULT_LIMITS.batchIntervalMs,
    maxBufferedEvents: options.maxBufferedEvents ?? DEFAULT_LIMITS.maxBufferedEvents,
    historyChunkBytes: options.historyChunkBytes ?? DEFAULT_LIMITS.historyChunkBytes,
  };
  const serverIsLoopback = isLoopbackHost(host);
  const batchDir =
    options.batchDir ??
    (options.runsDir !== undefined && existsSync(join(options.runsDir, BATCH_FILE))
      ? options.runsDir
      : undefined);
  const registry = new RunRegistry(
    batchDir !== undefined && (options.runsDir === undefined || options.runsDir === batchDir)
      ? join(batchDir, "runs")
      : options.runsDir,
    options.live,
  );
  const batch = batchDir !== undefined ? new BatchSource(resolve(batchDir), registry) : undefined;
  const http = createServer(
    createRequestHandler({
      registry,
      staticDir: options.staticDir ?? VIEWER_DIST,
      serverIsLoopback,
      ...(batch ? { batch } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
    }),
  );
  const io: AgoraIo = new Server(http, {
    serveClient: false,
    allowRequest: (req, callback) =>
      callback(null, browserRequestAllowed(req.headers, serverIsLoopback)),
  });
  const sockets = attachSockets(io, {
    registry,
    limits,
    ...(options.token !== undefined ? { token: options.token } : {}),
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      http.off("listening", onListening);
      // The port is the user's --port: a usage error (the CLI exits 2).
      if (error.code === "EADDRINUSE")
        reject(
          new UsageError(`port ${requestedPort} on ${host} is in use (--port 0 picks a free one)`),
        );
      else reject(error);
    };
    const onListening = () => {
      http.off("error", onError);
      resolve();
    };
    http.once("error", onError);
    http.once("listening", onListening);
    http.listen(requestedPort, host);
  });
  const port = (http.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: viewerUrl(host, port, options.token),
    registry,
    http,
    io,
    clients: sockets.stats,
    settle: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      const settled = () =>
        sockets
          .stats()
          .every((c) => c.mode !== "history" && c.buffered === 0 && c.queuedMessages === 0);
      while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        io.close(() => resolve());
        http.closeAllConnections();
      })),
  };
}
