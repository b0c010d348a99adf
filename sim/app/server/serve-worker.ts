/**
 * The server's thread: the HTTP server (the built viewer, /api), socket.io, reading events.jsonl
 * and encoding the messages, off the engine's thread (started by startServer in ./index.ts; the
 * messages between the two are in ./thread-messages.ts). Whatever the clients cost, the engine
 * does not wait for it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { Server } from "socket.io";
import { BATCH_FILE } from "../batch/batch-file.js";
import { browserRequestAllowed, isLoopbackHost } from "./auth.js";
import { BatchSource } from "./batch-state.js";
import { createRequestHandler } from "./http.js";
import { LiveFeed } from "./live-feed.js";
import type { ControlAck } from "./protocol.js";
import { RunRegistry } from "./run-registry.js";
import { attachSockets, RawJson, type AgoraIo } from "./socket.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./thread-messages.js";

const port = parentPort!;
const config = workerData as WorkerConfig;
const post = (message: FromWorker) => port.postMessage(message);

async function main(): Promise<void> {
  const { host, limits } = config;
  const serverIsLoopback = isLoopbackHost(host);
  const batchDir =
    config.batchDir ??
    (config.runsDir !== undefined && existsSync(join(config.runsDir, BATCH_FILE))
      ? config.runsDir
      : undefined);
  const registry = new RunRegistry(
    batchDir !== undefined && (config.runsDir === undefined || config.runsDir === batchDir)
      ? join(batchDir, "runs")
      : config.runsDir,
  );
  const batch = batchDir !== undefined ? new BatchSource(resolve(batchDir), registry) : undefined;
  const http = createServer(
    createRequestHandler({
      registry,
      staticDir: config.staticDir,
      serverIsLoopback,
      ...(batch ? { batch } : {}),
      ...(config.token !== undefined ? { token: config.token } : {}),
    }),
  );
  const io: AgoraIo = new Server(http, {
    serveClient: false,
    allowRequest: (req, callback) =>
      callback(null, browserRequestAllowed(req.headers, serverIsLoopback)),
  });

  // Control messages go to the engine's thread, which owns the step gates; answers come back.
  let requests = 0;
  const answers = new Map<number, (answer: ControlAck) => void>();
  const sockets = attachSockets(io, {
    registry,
    limits,
    ...(config.token !== undefined ? { token: config.token } : {}),
    control: (request) =>
      new Promise<ControlAck>((answer) => {
        const requestId = ++requests;
        answers.set(requestId, answer);
        post({ type: "control", requestId, ...request });
      }),
  });
  const feeds: LiveFeed[] = [];
  const broadcast = (room: string, batch: string) =>
    void io.to(room).emit("events", new RawJson(batch));

  const settle = async (requestId: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!sockets.settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    post({ type: "settled", requestId });
  };

  port.on("message", (message: ToWorker) => {
    switch (message.type) {
      case "live": {
        const feed = new LiveFeed(message.run, limits, broadcast);
        feeds.push(feed);
        return registry.addLive(feed);
      }
      case "started":
        return registry.liveRun(message.id)?.start();
      case "published":
        return registry.liveRun(message.id)?.onPublished(message.nextSeq);
      case "changed":
        return registry.liveRun(message.id)?.onChanged(message.state, message.summary);
      case "control-answer": {
        const answer = answers.get(message.requestId);
        answers.delete(message.requestId);
        return answer?.(message.answer);
      }
      case "clients":
        return post({ type: "clients", requestId: message.requestId, clients: sockets.stats() });
      case "settle":
        return void settle(message.requestId, message.timeoutMs);
      case "close":
        for (const feed of feeds) feed.close();
        io.close(() => {
          post({ type: "closed" });
          port.close();
        });
        http.closeAllConnections();
        return;
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      http.off("listening", onListening);
      if (error.code === "EADDRINUSE")
        reject(
          Object.assign(
            new Error(`port ${config.port} on ${host} is in use (--port 0 picks a free one)`),
            { usage: true },
          ),
        );
      else reject(error);
    };
    const onListening = () => {
      http.off("error", onError);
      resolve();
    };
    http.once("error", onError);
    http.once("listening", onListening);
    http.listen(config.port, host);
  });
  post({ type: "listening", port: (http.address() as AddressInfo).port });
}

main().catch((error: unknown) => {
  post({
    type: "failed",
    message: (error as Error).message,
    usage: (error as { usage?: boolean }).usage === true,
  });
  port.close();
});
