import { readHistoryChunk, type HistoryChunk } from "./history.js";

/** Chunks kept at most, in bytes, and how long they are kept once nobody reads. */
const SHARED_HISTORY_BYTES = 64 * 1024 * 1024;
const IDLE_MS = 5_000;

interface Entry {
  chunk: Promise<HistoryChunk>;
  /** Counted once the read is done and the chunk kept. */
  bytes: number;
}

/**
 * History reads of one live run's events.jsonl shared by its clients: clients reading from the
 * same byte offset (every late joiner starts at 0, a client that overflowed follows the others)
 * get the same chunk, read, split and joined once, and the same bytes go to every socket. A
 * chunk fits another read from the same offset if it skipped no line, holds no event below the
 * other's fromSeq, and ends within the other's limit (a live run's log only grows and complete
 * lines do not change, so what was read at an offset stays true).
 * The most recently used chunks are kept, up to `maxBytes`, and dropped once nobody has read for
 * a few seconds (a live run outlives its readers).
 */
export class SharedHistory {
  /** By offset, least recently used first. */
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;
  private idle: NodeJS.Timeout | undefined;
  /** Reads that went to the file (the others were shared). */
  fileReads = 0;

  constructor(
    private readonly path: string,
    private readonly chunkBytes: number,
    private readonly maxBytes = SHARED_HISTORY_BYTES,
  ) {}

  /** What readHistoryChunk(path, offset, fromSeq, chunkBytes, limit) reads, shared. */
  async read(
    offset: number,
    fromSeq: number,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<HistoryChunk> {
    this.touch();
    const entry = this.entries.get(offset);
    if (entry) {
      const chunk = await entry.chunk.catch(() => undefined);
      if (chunk && chunk.skipped === 0 && chunk.firstSeq >= fromSeq && chunk.offset <= limit) {
        if (this.entries.get(offset) === entry) {
          this.entries.delete(offset);
          this.entries.set(offset, entry);
        }
        // The lines after it, up to the larger limit, are the next read's.
        return chunk.offset < limit ? { ...chunk, eof: false } : chunk;
      }
    }
    this.fileReads++;
    const read = readHistoryChunk(this.path, offset, fromSeq, this.chunkBytes, limit);
    const fresh: Entry = { chunk: read, bytes: 0 };
    // A chunk kept here that did not fit this read (a later fromSeq, a smaller limit) stays.
    if (!this.entries.has(offset)) this.entries.set(offset, fresh);
    let chunk: HistoryChunk;
    try {
      chunk = await read;
    } catch (error) {
      this.drop(offset, fresh);
      throw error;
    }
    // Kept only if another read can use it: events, all of them (none skipped), a sound line.
    if (
      chunk.count === 0 ||
      chunk.skipped > 0 ||
      chunk.broken ||
      chunk.data.length > this.maxBytes / 2
    )
      this.drop(offset, fresh);
    else if (this.entries.get(offset) === fresh) {
      fresh.bytes = chunk.data.length;
      this.bytes += fresh.bytes;
      for (const [key, old] of this.entries) {
        if (this.bytes <= this.maxBytes) break;
        this.drop(key, old);
      }
    }
    return chunk;
  }

  /** Drops every chunk (the run's readers are gone, or the server closes). */
  clear(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    this.entries.clear();
    this.bytes = 0;
  }

  private drop(offset: number, entry: Entry): void {
    if (this.entries.get(offset) !== entry) return;
    this.entries.delete(offset);
    this.bytes -= entry.bytes;
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.clear(), IDLE_MS).unref();
  }
}
