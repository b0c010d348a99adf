import type { Server, Socket } from "socket.io";
import { tokenMatches } from "./auth.js";
import {
  ControlSchema,
  describeIssue,
  SubscribeSchema,
  type ClientToServerEvents,
  type ControlAck,
  type ControlRequest,
  type ServerToClientEvents,
  type SubscribeAck,
} from "./protocol.js";
import type { LiveFeed } from "./live-feed.js";
import type { RunRegistry } from "./run-registry.js";
import { chunkBody, type HistoryChunk } from "./history.js";
import { EventStream, type StreamLimits, type StreamSink, type StreamStats } from "./stream.js";

/**
 * An `events` batch already serialised (lines of events.jsonl as a JSON array): the encoder puts
 * the text in the packet as it is, so the client receives exactly what `events` with the parsed
 * array would have sent (ServerToClientEvents), without parsing and serialising it here.
 */
export class RawJson {
  constructor(readonly json: string) {}
}

/** The messages as this server sends them: `events` as RawJson. */
interface WireEvents extends Omit<ServerToClientEvents, "events"> {
  events: (batch: RawJson) => void;
}

export type AgoraIo = Server<ClientToServerEvents, WireEvents>;
type AgoraSocket = Socket<ClientToServerEvents, WireEvents>;

export interface SocketContext {
  registry: RunRegistry;
  token?: string;
  limits: StreamLimits;
  /** Applies a valid control message to a live run (in the engine's thread). */
  control: (request: ControlRequest) => Promise<ControlAck>;
}

type Encoder = AgoraIo["encoder"];
type Packet = Parameters<Encoder["encode"]>[0];
/** socket.io's EVENT packet type. */
const EVENT = 2;

/**
 * Lets the server's encoder (shared by every socket and broadcast) write RawJson arguments as they
 * are: `2["events",[...]]`, the text the default encoder would write for the parsed batch.
 */
function encodeRawJson(io: AgoraIo): void {
  const encoder: Encoder = io.encoder;
  const encode = encoder.encode.bind(encoder);
  encoder.encode = (packet: Packet) => {
    const data: unknown = packet.data;
    if (packet.type !== EVENT || !Array.isArray(data) || !(data[1] instanceof RawJson))
      return encode(packet);
    const nsp = packet.nsp && packet.nsp !== "/" ? `${packet.nsp},` : "";
    return [`${EVENT}${nsp}${packet.id ?? ""}[${JSON.stringify(data[0])},${data[1].json}]`];
  };
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
  feed?: LiveFeed;
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

/** An `events` message as socket.io writes it on the default namespace: `2["events",[...]]`. */
const EVENTS_HEAD = '2["events",[';
const EVENTS_TAIL = "]]";

/**
 * The WebSocket frame of an `events` message holding a chunk's events, built around the bytes read
 * (in place: the tail goes over the last line's newline and the chunk's spare byte), so that they
 * are neither decoded nor encoded again. Server frames are not masked (RFC 6455, 5.2).
 */
function eventsFrame(chunk: HistoryChunk): Buffer[] {
  const { data, bodyStart, bodyEnd } = chunk;
  data.write(EVENTS_TAIL, bodyEnd, "latin1");
  const body = data.subarray(bodyStart, bodyEnd + EVENTS_TAIL.length);
  // "4": engine.io's message packet, the socket.io packet after it.
  const head = Buffer.from(`4${EVENTS_HEAD}`, "latin1");
  const length = head.length + body.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.allocUnsafe(2 + lengthBytes + head.length);
  header[0] = 0x81; // FIN, text
  header[1] = lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127;
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  head.copy(header, 2 + lengthBytes);
  return [header, body];
}

/** engine.io's transport, as far as sending a pre-encoded WebSocket frame goes. */
interface FrameTransport {
  _canSendPreEncodedFrame?(packet: { options: { wsPreEncodedFrame: Buffer[] } }): boolean;
}

/**
 * Sends a chunk of events.jsonl as an `events` message: over a WebSocket as a frame built around
 * the bytes read (engine.io's pre-encoded frame, which socket.io's own broadcasts use), over
 * long-polling as text. Either way the client receives what `emit("events", parsedEvents)` sends.
 */
function sendChunk(socket: AgoraSocket, chunk: HistoryChunk): void {
  const conn = socket.conn;
  if (conn.readyState !== "open") return;
  const frame = eventsFrame(chunk);
  const options = { compress: false, wsPreEncodedFrame: frame };
  const transport = conn.transport as unknown as FrameTransport;
  if (transport._canSendPreEncodedFrame?.({ options }) === true) conn.write("", options);
  // Polling, or an engine.io that cannot: text (with the frame, should a WebSocket take over).
  else conn.write(`${EVENTS_HEAD}${chunkBody(chunk)}${EVENTS_TAIL}`, options);
}

function sinkFor(socket: AgoraSocket): StreamSink {
  return {
    sendEvents: (chunk) => sendChunk(socket, chunk),
    sendState: (state) => void socket.emit("run-state", state),
    busy: () => writeBuffer(socket).length > 0,
    onDrain: (callback) => {
      socket.conn.once("drain", callback);
      return () => void socket.conn.off("drain", callback);
    },
    join: (room) => void socket.join(room),
    leave: (room) => void socket.leave(room),
  };
}

/** Token check on the handshake, then `subscribe` and `control` per socket. */
export function attachSockets(
  io: AgoraIo,
  ctx: SocketContext,
): { stats: () => ClientStats[]; settled: () => boolean } {
  const subscriptions = new Map<string, { socket: AgoraSocket; sub: Subscription }>();
  encodeRawJson(io);

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
          ...(entry.live ? { feed: entry.live } : {}),
        },
        fromSeq,
        sinkFor(socket),
        ctx.limits,
      );
      current = { runId, stream, ...(entry.live ? { feed: entry.live } : {}) };
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
      void ctx.control({ runId, action, ...(value !== undefined ? { value } : {}) }).then(reply);
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
    settled: () =>
      [...subscriptions.values()].every(
        ({ sub }) => sub.stream.settled && (sub.feed?.caughtUp ?? true),
      ),
  };
}
