import type { Server, Socket } from "socket.io";
import { tokenMatches } from "./auth.js";
import {
  ControlSchema,
  describeIssue,
  SubscribeSchema,
  type ClientToServerEvents,
  type ControlAck,
  type ServerToClientEvents,
  type SubscribeAck,
} from "./protocol.js";
import type { RunRegistry } from "./run-registry.js";
import { EventStream, type StreamLimits, type StreamSink, type StreamStats } from "./stream.js";

export type AgoraIo = Server<ClientToServerEvents, ServerToClientEvents>;
type AgoraSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface SocketContext {
  registry: RunRegistry;
  token?: string;
  limits: StreamLimits;
}

export interface ClientStats extends StreamStats {
  socketId: string;
  runId: string;
  /** Messages waiting in the connection's write buffer. */
  queuedMessages: number;
}

interface Subscription {
  runId: string;
  stream: EventStream;
}

type Ack<T> = ((answer: T) => void) | undefined;

/**
 * Splits a handler's arguments into the message and the ack callback (if the client asked for one).
 */
function messageAndAck<T>(args: unknown[]): { message: unknown; extra: boolean; ack: Ack<T> } {
  const last = args.at(-1);
  const ack = typeof last === "function" ? (last as (answer: T) => void) : undefined;
  const rest = ack ? args.slice(0, -1) : args;
  return { message: rest[0], extra: rest.length > 1, ack };
}

const writeBuffer = (socket: AgoraSocket): unknown[] =>
  (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer;

function sinkFor(socket: AgoraSocket): StreamSink {
  return {
    sendEvents: (events) => void socket.emit("events", events),
    sendState: (state) => void socket.emit("run-state", state),
    busy: () => writeBuffer(socket).length > 0,
    onDrain: (callback) => {
      socket.conn.once("drain", callback);
      return () => void socket.conn.off("drain", callback);
    },
  };
}

/** Token check on the handshake, then `subscribe` and `control` per socket. */
export function attachSockets(io: AgoraIo, ctx: SocketContext): { stats: () => ClientStats[] } {
  const subscriptions = new Map<string, { socket: AgoraSocket; sub: Subscription }>();

  io.use((socket, next) => {
    const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (tokenMatches(ctx.token, token)) return next();
    next(new Error("unauthorized: a valid token is required (socket.io auth: { token })"));
  });

  io.on("connection", (socket: AgoraSocket) => {
    let current: Subscription | undefined;

    socket.on("subscribe", (...args: unknown[]) => {
      const { message, extra, ack } = messageAndAck<SubscribeAck>(args);
      const reply = (answer: SubscribeAck) => ack?.(answer);
      if (extra) return reply({ ok: false, error: "subscribe takes one message object" });
      const parsed = SubscribeSchema.safeParse(message);
      if (!parsed.success) return reply({ ok: false, error: describeIssue(parsed.error) });
      const { runId, fromSeq = 0 } = parsed.data;
      const entry = ctx.registry.get(runId);
      if (!entry) return reply({ ok: false, error: `unknown run: ${runId}` });
      current?.stream.stop();
      const stream = new EventStream(
        {
          eventsPath: entry.eventsPath,
          state: entry.state,
          ...(entry.live ? { live: entry.live } : {}),
        },
        fromSeq,
        sinkFor(socket),
        ctx.limits,
      );
      current = { runId, stream };
      subscriptions.set(socket.id, { socket, sub: current });
      // The ack goes out before the stream's first message: everything after it is this run's.
      reply({ ok: true, runId, live: entry.live !== undefined, status: entry.state.status });
      stream.start();
    });

    socket.on("control", (...args: unknown[]) => {
      const { message, extra, ack } = messageAndAck<ControlAck>(args);
      const reply = (answer: ControlAck) => ack?.(answer);
      if (extra) return reply({ ok: false, error: "control takes one message object" });
      const parsed = ControlSchema.safeParse(message);
      if (!parsed.success) return reply({ ok: false, error: describeIssue(parsed.error) });
      const { runId, action, value } = parsed.data;
      const live = ctx.registry.liveRun(runId);
      if (!live) {
        const known = ctx.registry.get(runId) !== undefined;
        return reply({
          ok: false,
          error: known
            ? `${runId} is a recorded run: only the live run can be controlled`
            : `unknown run: ${runId}`,
        });
      }
      if (!live.running) return reply({ ok: false, error: `${runId} has ended (${live.status})` });
      const gate = live.gate;
      if (action === "pause") gate.pause();
      else if (action === "resume") gate.resume();
      else if (action === "step") gate.step();
      else gate.setSpeed(value!);
      reply({ ok: true, state: gate.state });
    });

    socket.on("disconnect", () => {
      current?.stream.stop();
      current = undefined;
      subscriptions.delete(socket.id);
    });
  });

  return {
    stats: () =>
      [...subscriptions.values()].map(({ socket, sub }) => ({
        socketId: socket.id,
        runId: sub.runId,
        queuedMessages: writeBuffer(socket).length,
        ...sub.stream.stats(),
      })),
  };
}
