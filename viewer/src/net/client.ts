/**
 * The socket client: fetches the runs list, subscribes to the selected run over socket.io and feeds
 * the store. Incoming batches are queued and applied at most once per animation frame (one reduce
 * and one store update per frame however many events arrive), so the viewer stays responsive at
 * thousands of events per second. `window.__agoraViewer` exposes the store and counters for
 * benchmarks: framesRendered (frames that applied events), eventsApplied, lastApplyLagMs (now minus
 * the `at` of the last applied event).
 *
 * Isolation between runs: events carry no run id, so each subscription gets its own connection
 * (selecting another run reconnects the socket and subscribes once on the fresh connection); late
 * events of a previous run can never reach the new run's state.
 *
 * Resume: after a dropped connection socket.io reconnects and the client re-subscribes with
 * fromSeq = last applied seq + 1; the history it already has is kept.
 */
import { io, type Socket } from "socket.io-client";
import { store } from "../store.js";
import { Timeline } from "../state/timeline.js";
import type { AgoraEvent } from "../state/types.js";
import type {
  ControlAck,
  ControlAction,
  RunStateMessage,
  RunSummary,
  SubscribeAck,
} from "./protocol.js";

export interface ViewerStats {
  framesRendered: number;
  eventsApplied: number;
  lastApplyLagMs: number | null;
  /** Events received twice (dropped before the reducer). */
  duplicatesDropped: number;
  /** Gaps detected (recovered by re-subscribing from the last seq). */
  gaps: number;
  batchesReceived: number;
}

declare global {
  interface Window {
    /** For benchmarks and end-to-end tests; `sigma` is set by the graph panel. */
    __agoraViewer?: {
      store: typeof store;
      stats: ViewerStats;
      timeline: () => Timeline;
      sigma?: unknown;
    };
  }
}

const ACK_TIMEOUT_MS = 10_000;
const RUNS_POLL_MS = 5_000;

const params = new URLSearchParams(window.location.search);
const token = params.get("token");

export const stats: ViewerStats = {
  framesRendered: 0,
  eventsApplied: 0,
  lastApplyLagMs: null,
  duplicatesDropped: 0,
  gaps: 0,
  batchesReceived: 0,
};

let timeline = new Timeline();
let queue: AgoraEvent[][] = [];
let lastPublish = 0;
let frameRequested = false;
let fallbackTimer: ReturnType<typeof setTimeout> | null = null;
let socket: Socket | null = null;
/** True once this connection has sent its subscribe (one per connection). */
let subscribedOnThisConnection = false;
let everConnected = false;
let switching = false;

window.__agoraViewer = { store, stats, timeline: () => timeline };

function authHeaders(): HeadersInit {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// ---------------------------------------------------------------------------------------------
// Runs list

export async function refreshRuns(): Promise<void> {
  try {
    const res = await fetch("/api/runs", { headers: authHeaders() });
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      throw new Error(
        res.status === 401 || res.status === 403
          ? `not authorised (HTTP ${res.status}): open the URL with its ?token=`
          : `HTTP ${res.status} ${text.slice(0, 200)}`,
      );
    }
    const runs = (await res.json()) as RunSummary[];
    const rank = (r: RunSummary) => (r.live ? (r.status === "running" ? 2 : 1) : 0);
    const sorted = [...runs].sort(
      (a, b) =>
        rank(b) - rank(a) || String(b.startedAt ?? "").localeCompare(String(a.startedAt ?? "")),
    );
    store.setState({ runs: sorted, runsError: null });
    autoSelect(sorted);
  } catch (error) {
    store.setState({ runsError: error instanceof Error ? error.message : String(error) });
  }
}

/** With no run chosen: the URL's ?run=, else the first live run, else the only run. */
function autoSelect(runs: RunSummary[]): void {
  if (store.getState().selectedRunId !== null) return;
  const wanted = params.get("run");
  const pick =
    wanted ??
    runs.find((r) => r.live && r.status === "running")?.id ??
    runs.find((r) => r.live)?.id ??
    (runs.length === 1 ? runs[0]!.id : undefined);
  if (pick !== undefined) selectRun(pick);
}

// ---------------------------------------------------------------------------------------------
// Events: queue, then apply once per frame

function scheduleFlush(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(flush);
  // Hidden tabs get no animation frames: apply anyway, just less often.
  fallbackTimer ??= setTimeout(flush, 500);
}

/**
 * Publishing (the store update that re-renders the panels) costs far more than reducing. The cost
 * of a publish is measured as the length of the frame it caused; while frames stay short every
 * frame that applied events publishes, and when they get long (a big graph, a slow machine,
 * software WebGL) publishing is spaced to twice that cost (at most MAX_PUBLISH_INTERVAL_MS), so
 * the frames in between stay cheap and incoming messages keep being drained. Events are applied
 * once per frame either way.
 */
const SLOW_FRAME_MS = 34;
const MAX_PUBLISH_INTERVAL_MS = 250;
let publishCost = 0;

function flush(): void {
  frameRequested = false;
  if (fallbackTimer !== null) {
    clearTimeout(fallbackTimer);
    fallbackTimer = null;
  }
  if (queue.length === 0) {
    if (pendingPublish) publish(performance.now());
    return;
  }
  const now = performance.now();
  let batch = queue.length === 1 ? queue[0]! : queue.flat();
  queue = [];
  const expected = timeline.head.nextSeq;
  if (batch.length > 0 && batch[0]!.seq < expected) {
    const cut = batch.findIndex((e) => e.seq >= expected);
    stats.duplicatesDropped += cut < 0 ? batch.length : cut;
    batch = cut < 0 ? [] : batch.slice(cut);
  }
  if (batch.length === 0) return;
  const before = timeline.head;
  const head = timeline.append(batch);
  if (head.rejectedBatches !== before.rejectedBatches) {
    // A gap (or disorder) the server should never produce: re-subscribe from what we have.
    stats.gaps++;
    console.warn("agora viewer: rejected batch", head.lastRejection);
    reconnect();
  } else {
    stats.eventsApplied += batch.length;
    stats.lastApplyLagMs = Date.now() - Date.parse(batch[batch.length - 1]!.at);
  }
  if (head.phase !== before.phase && head.phase !== "running") void refreshRuns();
  const interval =
    publishCost > SLOW_FRAME_MS ? Math.min(MAX_PUBLISH_INTERVAL_MS, 2 * publishCost) : 0;
  if (now - lastPublish < interval) {
    // Publish a later frame (one is requested, so the latest state shows even if nothing else
    // arrives).
    pendingPublish = true;
    scheduleFlush();
    return;
  }
  publish(now);
}

let pendingPublish = false;

function publish(now: number): void {
  pendingPublish = false;
  lastPublish = now;
  stats.framesRendered++;
  const head = timeline.head;
  const s = store.getState();
  if (s.head === head) return;
  store.setState({ head, view: s.scrubSeq === null ? head : s.view, minSeq: timeline.minSeq });
  // The next frame starts once this one (React, sigma, paint) is done: that is the publish's cost.
  requestAnimationFrame(() => {
    publishCost = performance.now() - now;
  });
}

/** Applies whatever is queued now (before a resubscribe computes fromSeq). */
function flushNow(): void {
  if (queue.length > 0) flush();
}

function onEvents(events: AgoraEvent[]): void {
  if (!Array.isArray(events) || events.length === 0) return;
  stats.batchesReceived++;
  queue.push(events);
  scheduleFlush();
}

// ---------------------------------------------------------------------------------------------
// Socket

function ensureSocket(): Socket {
  if (socket) return socket;
  const s = io({
    auth: token ? { token } : {},
    transports: ["websocket", "polling"],
    reconnectionDelayMax: 3000,
  });
  socket = s;
  s.on("connect", () => {
    const wasReconnect = everConnected && !switching;
    everConnected = true;
    switching = false;
    subscribedOnThisConnection = false;
    store.setState((st) => ({
      connection: "connected",
      connectionError: null,
      reconnects: st.reconnects + (wasReconnect ? 1 : 0),
    }));
    subscribe();
  });
  s.on("disconnect", (reason) => {
    subscribedOnThisConnection = false;
    if (switching || reason === "io client disconnect") {
      store.setState({ connection: "connecting" });
      return;
    }
    store.setState({ connection: "reconnecting", connectionError: `disconnected (${reason})` });
    // The server closed the connection on purpose: socket.io does not retry by itself then.
    if (reason === "io server disconnect") setTimeout(() => s.connect(), 1000);
  });
  s.on("connect_error", (error: Error) => {
    store.setState({
      connection: everConnected ? "reconnecting" : "disconnected",
      connectionError: error.message,
    });
    if (!s.active) setTimeout(() => s.connect(), 2000);
  });
  s.on("events", onEvents);
  s.on("run-state", (state: RunStateMessage) => {
    if (state.runId !== store.getState().selectedRunId) return;
    store.setState({ runState: state });
  });
  return s;
}

function subscribe(): void {
  const s = socket;
  const runId = store.getState().selectedRunId;
  if (!s || !s.connected || runId === null || subscribedOnThisConnection) return;
  subscribedOnThisConnection = true;
  flushNow();
  const fromSeq = timeline.head.nextSeq;
  store.setState((st) => ({
    subscription: { ...st.subscription, status: "subscribing", error: null },
  }));
  s.timeout(ACK_TIMEOUT_MS).emit(
    "subscribe",
    fromSeq > 0 ? { runId, fromSeq } : { runId },
    (err: Error | null, ack?: SubscribeAck) => {
      if (store.getState().selectedRunId !== runId) return;
      if (err || !ack) {
        store.setState({
          subscription: {
            status: "error",
            error: `no answer to subscribe (${err?.message ?? "no ack"})`,
            live: false,
          },
        });
        return;
      }
      if (!ack.ok) {
        store.setState({ subscription: { status: "error", error: ack.error, live: false } });
        return;
      }
      store.setState({ subscription: { status: "subscribed", error: null, live: ack.live } });
    },
  );
}

/** A fresh connection (run switch, or recovery from a gap); the connect handler subscribes. */
function reconnect(): void {
  const s = ensureSocket();
  if (s.connected) {
    switching = true;
    s.disconnect();
    s.connect();
  } else if (!s.active) {
    s.connect();
  }
  // Otherwise a connection attempt is under way: its connect handler subscribes.
}

export function selectRun(runId: string): void {
  const st = store.getState();
  if (st.selectedRunId === runId) return;
  flushNow();
  queue = [];
  timeline = new Timeline();
  const head = timeline.head;
  store.setState({
    selectedRunId: runId,
    head,
    view: head,
    scrubSeq: null,
    minSeq: 0,
    runState: null,
    controlError: null,
    selectedAgentId: null,
    subscription: { status: "subscribing", error: null, live: false },
  });
  const url = new URL(window.location.href);
  url.searchParams.set("run", runId);
  window.history.replaceState(null, "", url);
  if (socket?.connected && !subscribedOnThisConnection) subscribe();
  else reconnect();
}

// ---------------------------------------------------------------------------------------------
// Scrubbing

export function scrubTo(seq: number): void {
  if (seq >= timeline.headSeq) {
    goLive();
    return;
  }
  const view = timeline.stateAt(seq);
  store.setState({ scrubSeq: Math.max(seq, timeline.minSeq), view });
}

export function goLive(): void {
  store.setState({ scrubSeq: null, view: timeline.head });
}

// ---------------------------------------------------------------------------------------------
// Controls

export function control(action: ControlAction, value?: number): void {
  const s = socket;
  const runId = store.getState().selectedRunId;
  if (!s || !s.connected || runId === null) return;
  s.timeout(ACK_TIMEOUT_MS).emit(
    "control",
    { runId, action, ...(value !== undefined ? { value } : {}) },
    (err: Error | null, ack?: ControlAck) => {
      if (err || !ack) {
        store.setState({ controlError: `no answer to ${action} (${err?.message ?? "no ack"})` });
        return;
      }
      if (!ack.ok) {
        store.setState({ controlError: `${action}: ${ack.error}` });
        return;
      }
      const runState = store.getState().runState;
      store.setState({
        controlError: null,
        ...(runState ? { runState: { ...runState, ...ack.state } } : {}),
      });
    },
  );
}

// ---------------------------------------------------------------------------------------------

export function startClient(): void {
  ensureSocket();
  void refreshRuns();
  setInterval(() => void refreshRuns(), RUNS_POLL_MS);
}
