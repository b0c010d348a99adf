import type { AgoraEvent } from "../../core/events.js";
import { readHistoryChunk } from "./history.js";
import type { LiveRun } from "./live-run.js";
import type { RunState } from "./protocol.js";

/** Where a stream's messages go: a socket.io socket in the server, anything in a test. */
export interface StreamSink {
  sendEvents(events: AgoraEvent[]): void;
  sendState(state: RunState): void;
  /** True while earlier messages still wait in the connection's write buffer (a slow client). */
  busy(): boolean;
  /** Calls back once the write buffer has been handed on; returns a canceller. */
  onDrain(callback: () => void): () => void;
}

export interface StreamLimits {
  /** Live events are sent at most once per this many ms (coalesced in between). */
  batchIntervalMs: number;
  /** Live events held for one client; beyond this it is switched to catch-up from the log. */
  maxBufferedEvents: number;
  /** About this many bytes of events.jsonl per history message. */
  historyChunkBytes: number;
}

export interface StreamSource {
  eventsPath: string;
  /** The live run, when the stream is of it. */
  live?: LiveRun;
  state: RunState;
}

/** history: reading events.jsonl (first, and again after an overflow); live: forwarding the bus. */
export type StreamMode = "history" | "live" | "done" | "stopped";

export interface StreamStats {
  mode: StreamMode;
  /** Every event below this seq has been handed to the connection. */
  sentSeq: number;
  /** Live events held, not yet sent. */
  buffered: number;
  /** Times the buffer overflowed and the client was switched to catch-up. */
  overflows: number;
}

/**
 * One client's subscription: the events of a run in seq order from `fromSeq`, history from
 * events.jsonl then live events, with no gap and no duplicate.
 *
 * The live run writes every event to events.jsonl before publishing it, so the log always holds at
 * least what the bus has published. The stream reads the log (in chunks, each sent once the
 * connection has drained) until it reaches the end, then, in the same tick, compares its position
 * with the bus: if nothing newer was published it switches to live, otherwise it reads on. Live
 * events are queued and sent in batches; a client that does not drain its connection lets the queue
 * grow to `maxBufferedEvents`, then the queue is dropped and the client goes back to reading the
 * log from its last sent seq. Memory per client is bounded either way; the engine never waits.
 */
export class EventStream {
  private mode: StreamMode = "history";
  /** The next seq to queue or read. */
  private nextSeq: number;
  private sentSeq: number;
  private pending: AgoraEvent[] = [];
  private pendingState: RunState | undefined;
  /** Byte offset in events.jsonl at or before the line of `nextSeq`. */
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastSendAt = 0;
  private cancelDrain: (() => void) | undefined;
  private historyWaiter: (() => void) | undefined;
  private readingHistory = false;
  private overflows = 0;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly source: StreamSource,
    fromSeq: number,
    private readonly sink: StreamSink,
    private readonly limits: StreamLimits,
  ) {
    this.nextSeq = fromSeq;
    this.sentSeq = fromSeq;
  }

  /** Sends the run state, then the events. */
  start(): void {
    const { live } = this.source;
    this.sendState(this.source.state);
    if (live) {
      this.cleanups.push(live.onEvents((events) => this.onLive(events)));
      this.cleanups.push(live.onState((state) => this.sendState(state)));
    }
    void this.readHistory();
  }

  stop(): void {
    this.mode = "stopped";
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.cancelDrain?.();
    this.cancelDrain = undefined;
    this.pending = [];
    this.pendingState = undefined;
    const waiter = this.historyWaiter;
    this.historyWaiter = undefined;
    waiter?.();
  }

  stats(): StreamStats {
    return {
      mode: this.mode,
      sentSeq: this.sentSeq,
      buffered: this.pending.length,
      overflows: this.overflows,
    };
  }

  private sendState(state: RunState): void {
    if (this.mode === "stopped") return;
    this.pendingState = state;
    this.pump();
  }

  private onLive(events: readonly AgoraEvent[]): void {
    if (this.mode !== "live") return;
    for (const event of events) {
      if (event.seq < this.nextSeq) continue;
      if (event.seq > this.nextSeq) return this.catchUp();
      this.pending.push(event);
      this.nextSeq++;
    }
    if (this.pending.length > this.limits.maxBufferedEvents) {
      this.overflows++;
      return this.catchUp();
    }
    this.scheduleFlush();
  }

  /** Drops the live queue and reads the log again from the last seq sent. */
  private catchUp(): void {
    this.pending = [];
    this.nextSeq = this.sentSeq;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.mode = "history";
    void this.readHistory();
  }

  private async readHistory(): Promise<void> {
    if (this.readingHistory) return;
    this.readingHistory = true;
    const { live, eventsPath } = this.source;
    try {
      if (live) await live.started;
      while (this.mode === "history") {
        await this.drained();
        if (this.mode !== "history") break;
        const chunk = await readHistoryChunk(
          eventsPath,
          this.offset,
          this.nextSeq,
          this.limits.historyChunkBytes,
        );
        if (this.mode !== "history") break;
        this.offset = chunk.offset;
        const last = chunk.events.at(-1);
        if (last) {
          this.nextSeq = last.seq + 1;
          this.sentSeq = this.nextSeq;
          this.sink.sendEvents(chunk.events);
        }
        if (!chunk.eof) continue;
        if (!live) {
          this.mode = "done";
        } else if (live.nextSeq <= this.nextSeq) {
          // Nothing was published beyond what was read: from here on the bus has every event.
          this.mode = "live";
        } else if (!last) {
          // The bus is ahead of what the log showed (a write in progress): look again shortly.
          await new Promise((r) => setTimeout(r, Math.max(5, this.limits.batchIntervalMs)));
        }
      }
    } catch (error) {
      if (this.mode === "history") {
        this.mode = "done";
        process.emitWarning(`viewer history read failed: ${(error as Error).message}`);
      }
    } finally {
      this.readingHistory = false;
    }
  }

  /** Resolves when the connection has no message waiting (or the stream stopped). */
  private drained(): Promise<void> {
    if (!this.sink.busy() && !this.pendingState) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.historyWaiter = resolve;
      this.pump();
    });
  }

  private scheduleFlush(): void {
    if (this.timer || this.pending.length === 0) return;
    const delay = Math.max(0, this.lastSendAt + this.limits.batchIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
  }

  /** Sends what may be sent now; otherwise waits for the connection to drain. */
  private pump(): void {
    if (this.mode === "stopped") return;
    if (this.sink.busy()) return this.whenDrained();
    if (this.pendingState) {
      const state = this.pendingState;
      this.pendingState = undefined;
      this.sink.sendState(state);
      if (this.sink.busy()) return this.whenDrained();
    }
    if (this.historyWaiter) {
      const waiter = this.historyWaiter;
      this.historyWaiter = undefined;
      waiter();
      return;
    }
    if (this.mode === "live" && this.pending.length > 0) {
      if (Date.now() - this.lastSendAt < this.limits.batchIntervalMs) return this.scheduleFlush();
      if (this.timer) return;
      const batch = this.pending;
      this.pending = [];
      this.sentSeq = this.nextSeq;
      this.lastSendAt = Date.now();
      this.sink.sendEvents(batch);
    }
  }

  private whenDrained(): void {
    if (this.cancelDrain) return;
    this.cancelDrain = this.sink.onDrain(() => {
      this.cancelDrain = undefined;
      this.pump();
    });
  }
}
