/**
 * The run's history for scrubbing: the retained events (append-only), periodic snapshots of the
 * reducer state, and the live head. `stateAt(seq)` takes the nearest snapshot at or before `seq`
 * and reduces the retained events after it through the same `reduce` as the live view, so a
 * scrubbed state equals the state a from-scratch replay of events 0..seq gives. DOM-free.
 *
 * Snapshots: after every generation-ended and run-ended event and every `snapshotEvery` events,
 * but never closer than `minSnapshotGap` events to the previous one (runs of tiny generations would
 * otherwise keep a snapshot per few events). Snapshot positions depend only on the event sequence,
 * not on how it was batched.
 *
 * Memory: the full event log is kept (it is what scrubbing replays) up to `maxEvents` events;
 * beyond that the oldest events are dropped together with the snapshots before them, so the
 * earliest reachable seq moves forward (`minSeq`). Snapshots share unchanged containers with each
 * other (copy-on-write), so each costs roughly its rings (the 5,000-entry log ring: 40 KB of
 * references) plus the agent records touched since the previous one.
 */
import { checkBatch, initialState, reduce } from "./reducer.js";
import type { AgoraEvent, Limits, ViewerState } from "./types.js";

export interface TimelineOptions {
  snapshotEvery?: number;
  minSnapshotGap?: number;
  maxEvents?: number;
  limits?: Partial<Limits>;
}

export class Timeline {
  readonly snapshotEvery: number;
  readonly minSnapshotGap: number;
  readonly maxEvents: number;
  head: ViewerState;
  /** Retained events: events[i].seq === offset + i. */
  private events: AgoraEvent[] = [];
  private offset = 0;
  /** Snapshots in nextSeq order; the first is where the retained history starts. */
  private snapshots: ViewerState[];
  private cached: { seq: number; state: ViewerState; head: ViewerState } | null = null;

  constructor(options: TimelineOptions = {}) {
    this.snapshotEvery = options.snapshotEvery ?? 2000;
    this.minSnapshotGap = options.minSnapshotGap ?? 500;
    this.maxEvents = options.maxEvents ?? 300_000;
    this.head = initialState(options.limits);
    this.snapshots = [this.head];
  }

  /** The earliest seq a scrub can show. */
  get minSeq(): number {
    return Math.max(0, this.snapshots[0]!.nextSeq - 1);
  }

  /** The last applied seq (-1 before any event). */
  get headSeq(): number {
    return this.head.nextSeq - 1;
  }

  get retainedEvents(): number {
    return this.events.length;
  }

  get snapshotCount(): number {
    return this.snapshots.length;
  }

  /** Retained events with seq in [from, to] (for tests and exports). */
  slice(from: number, to: number): AgoraEvent[] {
    return this.events.slice(Math.max(0, from - this.offset), Math.max(0, to - this.offset + 1));
  }

  /**
   * Applies a batch to the head (whole or not at all, see `reduce`) and records it. Returns the new
   * head; a rejected batch leaves the history untouched and the head with its rejection counted.
   */
  append(batch: readonly AgoraEvent[]): ViewerState {
    if (batch.length === 0) return this.head;
    if (checkBatch(this.head, batch)) {
      this.head = reduce(this.head, batch);
      return this.head;
    }
    let start = 0;
    let lastSnapshot = this.snapshots[this.snapshots.length - 1]!.nextSeq;
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i]!;
      const next = event.seq + 1;
      const boundary =
        event.type === "generation-ended" ||
        event.type === "run-ended" ||
        next % this.snapshotEvery === 0;
      if (boundary && next - lastSnapshot >= this.minSnapshotGap) {
        this.head = reduce(this.head, batch.slice(start, i + 1));
        this.snapshots.push(this.head);
        lastSnapshot = next;
        start = i + 1;
      }
    }
    if (start < batch.length)
      this.head = reduce(this.head, start === 0 ? batch : batch.slice(start));
    for (const event of batch) this.events.push(event);
    this.trim();
    return this.head;
  }

  /**
   * The state after applying every event up to and including `seq` (clamped to the retained range).
   */
  stateAt(seq: number): ViewerState {
    const target = Math.max(this.minSeq, Math.min(seq, this.headSeq)) + 1;
    if (target >= this.head.nextSeq) return this.head;
    if (this.cached && this.cached.seq === target && this.cached.head === this.head)
      return this.cached.state;
    // The last snapshot with nextSeq <= target.
    let lo = 0;
    let hi = this.snapshots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.snapshots[mid]!.nextSeq <= target) lo = mid;
      else hi = mid - 1;
    }
    const snapshot = this.snapshots[lo]!;
    const events = this.events.slice(snapshot.nextSeq - this.offset, target - this.offset);
    const state = reduce(snapshot, events);
    this.cached = { seq: target, state, head: this.head };
    return state;
  }

  /** Seqs of generation ends (scrubber ticks). */
  generationTicks(): { generation: number; seq: number }[] {
    return this.head.generationEnds.map((g) => ({ generation: g.generation, seq: g.seq }));
  }

  private trim(): void {
    if (this.events.length <= this.maxEvents) return;
    const keepFrom = this.head.nextSeq - Math.floor(this.maxEvents * 0.75);
    let index = -1;
    for (let i = this.snapshots.length - 1; i > 0; i--) {
      if (this.snapshots[i]!.nextSeq <= keepFrom) {
        index = i;
        break;
      }
    }
    if (index <= 0) return;
    const from = this.snapshots[index]!.nextSeq;
    this.events = this.events.slice(from - this.offset);
    this.offset = from;
    this.snapshots = this.snapshots.slice(index);
    this.cached = null;
  }
}
