import { join } from "node:path";
import { FILES } from "../../core/recorder.js";
import type { RunStatus } from "../../core/events.js";
import { chunkBody, readHistoryChunk } from "./history.js";
import { SharedHistory } from "./shared-history.js";
import type { RunState, RunSummary } from "./protocol.js";
import type { StreamLimits } from "./stream.js";
import type { LiveIntro } from "./thread-messages.js";

let feeds = 0;

/** A client following the feed (an EventStream in live mode). */
export interface FeedMember {
  /** Whether the client can hold `count` more events; if not, it leaves and reads the log. */
  canTake(count: number): boolean;
  /** It has been handed `count` events. */
  took(count: number): void;
  /** Switches it to reading the log from this seq and byte offset (the feed's, before a batch). */
  overflow(seq: number, offset: number): void;
}

/** Sends a batch (a JSON array text) to every socket in a room, encoded once. */
export type Broadcast = (room: string, batch: string) => void;

/**
 * A live run in the server's thread: its state as the engine's thread last reported it, and the
 * tail of its events.jsonl, read as the engine reports new events and handed to the clients that
 * are up to date (the room) in one message per batch interval, encoded once for all of them.
 *
 * Every event below `sentSeq` (whose line ends at byte `sentOffset`) has been handed to the room,
 * or passed while the room was empty. A client reading the log stops at `sentOffset`; if its next
 * seq is `sentSeq` it joins the room in that same tick, and the next batch starts where its reading
 * ended: no gap and no duplicate. A member whose connection holds more than `maxBufferedEvents`
 * unsent events leaves the room and reads the log again from its last delivered event.
 */
export class LiveFeed {
  readonly id: string;
  readonly eventsPath: string;
  readonly room: string;
  /** The log's history as its clients read it, each chunk read once for all of them. */
  readonly history: SharedHistory;
  /** The seq after the last event the engine published. */
  published: number;
  sentSeq = 0;
  sentOffset = 0;
  /** Resolves once the log as it was when the run started has been read. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private isStarted = false;
  private currentState: RunState;
  private currentSummary: RunSummary;
  private readOffset = 0;
  private readSeq = 0;
  /** Events read, not yet handed on: bodies of JSON arrays. */
  private pending: string[] = [];
  private pendingCount = 0;
  private reading = false;
  private readAgain = false;
  private broken = false;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private readonly members = new Set<FeedMember>();
  private readonly stateListeners = new Set<(state: RunState) => void>();
  private advanceWaiters: (() => void)[] = [];

  constructor(
    intro: LiveIntro,
    private readonly limits: StreamLimits,
    private readonly broadcast: Broadcast,
  ) {
    this.id = intro.id;
    this.eventsPath = join(intro.dir, FILES.events);
    this.history = new SharedHistory(this.eventsPath, limits.historyChunkBytes);
    // A run started again (a batch's retry) gets a new feed: its room is not the old one's.
    this.room = `live:${intro.id}:${++feeds}`;
    this.published = intro.nextSeq;
    this.currentState = intro.state;
    this.currentSummary = intro.summary;
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
    if (intro.started) this.start();
  }

  get status(): RunStatus {
    return this.currentState.status;
  }

  get running(): boolean {
    return this.currentState.status === "running";
  }

  get generation(): number {
    return this.currentState.generation;
  }

  state(): RunState {
    return this.currentState;
  }

  summary(): RunSummary {
    return this.currentSummary;
  }

  /** The run has ended and every event it published has been handed on. */
  get finished(): boolean {
    return (!this.running && this.caughtUp) || this.broken;
  }

  /** Every published event has been read and handed on. */
  get caughtUp(): boolean {
    return this.readSeq >= this.published && this.pendingCount === 0 && !this.reading;
  }

  /** The run directory holds this run now: read what its log already has. */
  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    void this.read().then(() => this.markReady());
  }

  onPublished(nextSeq: number): void {
    this.published = Math.max(this.published, nextSeq);
    if (this.isStarted) void this.read();
  }

  onChanged(state: RunState, summary: RunSummary): void {
    this.currentState = state;
    this.currentSummary = summary;
    for (const listener of [...this.stateListeners]) listener(state);
    this.wakeWaiters();
  }

  onState(listener: (state: RunState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  join(member: FeedMember): void {
    this.members.add(member);
  }

  leave(member: FeedMember): void {
    this.members.delete(member);
  }

  /** Resolves when `sentSeq` moves on or the run's state changes. */
  advanced(): Promise<void> {
    return new Promise<void>((resolve) => this.advanceWaiters.push(resolve));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.members.clear();
    this.stateListeners.clear();
    this.history.clear();
    this.broken = true;
    this.wakeWaiters();
  }

  /** Reads the log's new lines; one read at a time, again if more was published meanwhile. */
  private async read(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.readAgain = false;
        for (;;) {
          if (this.broken) return;
          const chunk = await readHistoryChunk(
            this.eventsPath,
            this.readOffset,
            this.readSeq,
            this.limits.historyChunkBytes,
          );
          this.readOffset = chunk.offset;
          if (chunk.count > 0) {
            this.readSeq = chunk.lastSeq + 1;
            this.pending.push(chunkBody(chunk));
            this.pendingCount += chunk.count;
          }
          if (chunk.broken) {
            this.broken = true;
            process.emitWarning(
              `viewer stream of ${this.id} stopped: a line of ${this.eventsPath} after byte ${chunk.offset} is not an event`,
            );
          }
          if (this.members.size === 0) this.pass();
          else this.scheduleFlush();
          if (chunk.eof) break;
        }
      } while (this.readAgain);
    } catch (error) {
      process.emitWarning(`viewer stream of ${this.id}: ${(error as Error).message}`);
    } finally {
      this.reading = false;
    }
  }

  private scheduleFlush(): void {
    if (this.timer || this.pendingCount === 0) return;
    const delay = Math.max(0, this.lastFlushAt + this.limits.batchIntervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), delay);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pendingCount === 0) return;
    const count = this.pendingCount;
    for (const member of [...this.members]) {
      if (member.canTake(count)) continue;
      this.members.delete(member);
      member.overflow(this.sentSeq, this.sentOffset);
    }
    if (this.members.size > 0) {
      this.broadcast(this.room, `[${this.pending.join(",")}]`);
      for (const member of this.members) member.took(count);
    }
    this.lastFlushAt = Date.now();
    this.pass();
  }

  /** What was read counts as handed on (sent, or nobody was there to send it to). */
  private pass(): void {
    this.pending = [];
    this.pendingCount = 0;
    this.sentSeq = this.readSeq;
    this.sentOffset = this.readOffset;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.advanceWaiters;
    this.advanceWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
