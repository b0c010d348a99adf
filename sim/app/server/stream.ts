import { readHistoryChunk, type HistoryChunk } from "./history.js";
import type { FeedMember, LiveFeed } from "./live-feed.js";
import type { RunState } from "./protocol.js";

/** Where a stream's messages go: a socket.io socket in the server, anything in a test. */
export interface StreamSink {
  /** Sends an `events` message with the chunk's events. */
  sendEvents(chunk: HistoryChunk): void;
  sendState(state: RunState): void;
  /** True while earlier messages still wait in the connection's write buffer (a slow client). */
  busy(): boolean;
  /** Calls back once the write buffer has been handed on; returns a canceller. */
  onDrain(callback: () => void): () => void;
  /** Joins or leaves a live feed's room (its batches are sent to the room). */
  join(room: string): void;
  leave(room: string): void;
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
  feed?: LiveFeed;
  state: RunState;
}

/** history: reading events.jsonl (first, and again after an overflow); live: in the feed's room. */
export type StreamMode = "history" | "live" | "done" | "stopped";

export interface StreamStats {
  mode: StreamMode;
  /** Every event below this seq has been handed to the connection. */
  sentSeq: number;
  /** Live events handed to the connection and still in its write buffer. */
  buffered: number;
  /** Times the buffer overflowed and the client was switched to catch-up. */
  overflows: number;
}

/**
 * One client's subscription: the events of a run in seq order from `fromSeq`, history from
 * events.jsonl then live events, with no gap and no duplicate.
 *
 * The stream reads the log in chunks, each sent once the connection has drained, passed on as the
 * recorder wrote it (never parsed and serialised again). Of a live run it reads up to what the
 * run's feed has handed on, then joins the feed's room in the same tick (see LiveFeed). A member
 * whose connection does not drain goes back to reading the log from its last delivered event once
 * `maxBufferedEvents` wait for it. Memory per client is bounded either way; the engine, on another
 * thread, never waits.
 */
export class EventStream implements FeedMember {
  private mode: StreamMode = "history";
  /** The next seq to read (in history mode). */
  private nextSeq: number;
  /** Byte offset in events.jsonl at or before the line of `nextSeq`. */
  private offset = 0;
  /** Live events handed to the connection since it last drained. */
  private unsent = 0;
  private pendingState: RunState | undefined;
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
  }

  /** Sends the run state, then the events. */
  start(): void {
    const { feed } = this.source;
    this.sendState(this.source.state);
    if (feed) this.cleanups.push(feed.onState((state) => this.sendState(state)));
    void this.readHistory();
  }

  stop(): void {
    this.leaveFeed();
    this.mode = "stopped";
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.cancelDrain?.();
    this.cancelDrain = undefined;
    this.pendingState = undefined;
    const waiter = this.historyWaiter;
    this.historyWaiter = undefined;
    waiter?.();
  }

  stats(): StreamStats {
    return {
      mode: this.mode,
      sentSeq: this.mode === "live" && this.source.feed ? this.source.feed.sentSeq : this.nextSeq,
      buffered: this.sink.busy() ? this.unsent : 0,
      overflows: this.overflows,
    };
  }

  /** Up to date and nothing waiting for this client (the feed's own backlog aside). */
  get settled(): boolean {
    return this.mode !== "history" && !this.sink.busy() && !this.pendingState;
  }

  canTake(count: number): boolean {
    if (!this.sink.busy()) this.unsent = 0;
    return this.unsent + count <= this.limits.maxBufferedEvents;
  }

  took(count: number): void {
    this.unsent = this.sink.busy() ? this.unsent + count : 0;
  }

  overflow(seq: number, offset: number): void {
    this.overflows++;
    this.leaveFeed();
    this.mode = "history";
    this.nextSeq = seq;
    this.offset = offset;
    this.unsent = 0;
    void this.readHistory();
  }

  private leaveFeed(): void {
    const { feed } = this.source;
    if (this.mode !== "live" || !feed) return;
    feed.leave(this);
    this.sink.leave(feed.room);
  }

  private sendState(state: RunState): void {
    if (this.mode === "stopped") return;
    this.pendingState = state;
    this.pump();
  }

  private async readHistory(): Promise<void> {
    if (this.readingHistory) return;
    this.readingHistory = true;
    const { feed, eventsPath } = this.source;
    try {
      if (feed) await feed.ready;
      while (this.mode === "history") {
        await this.drained();
        if (this.mode !== "history") break;
        const chunk = feed
          ? await feed.history.read(this.offset, this.nextSeq, feed.sentOffset)
          : await readHistoryChunk(
              eventsPath,
              this.offset,
              this.nextSeq,
              this.limits.historyChunkBytes,
            );
        if (this.mode !== "history") break;
        this.offset = chunk.offset;
        if (chunk.count > 0) {
          this.nextSeq = chunk.lastSeq + 1;
          this.sink.sendEvents(chunk);
        }
        if (chunk.broken)
          throw new Error(`a line of ${eventsPath} after byte ${chunk.offset} is not an event`);
        if (!chunk.eof) continue;
        if (!feed) {
          this.mode = "done";
        } else if (this.offset < feed.sentOffset) {
          // The feed handed more on while this chunk was read: read on.
        } else if (this.nextSeq === feed.sentSeq) {
          // Everything before the feed's next batch has been read: from here on it sends.
          this.mode = "live";
          feed.join(this);
          this.sink.join(feed.room);
        } else if (this.nextSeq < feed.sentSeq) {
          throw new Error(`${eventsPath} has no event ${this.nextSeq} before byte ${this.offset}`);
        } else if (feed.finished) {
          // Asked from a seq beyond the run's last event.
          this.mode = "done";
        } else {
          await feed.advanced();
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
