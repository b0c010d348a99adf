import { open } from "node:fs/promises";

/**
 * Complete lines of an events.jsonl, passed on as the recorder wrote them: the events are
 * `data[bodyStart, bodyEnd)`, their lines joined by commas (the body of a JSON array), never parsed
 * and serialised again.
 */
export interface HistoryChunk {
  data: Buffer;
  bodyStart: number;
  bodyEnd: number;
  /** How many events the body holds, and the seqs of its first and last (-1 when none). */
  count: number;
  firstSeq: number;
  lastSeq: number;
  /** Lines passed over because their seq is below the read's fromSeq. */
  skipped: number;
  /** Byte offset in the file just after the last line consumed: where the next read starts. */
  offset: number;
  /** No complete line is left between `offset` and the limit (for now: a live log grows). */
  eof: boolean;
  /** A complete line that is not an event ended the chunk: nothing after it can be trusted. */
  broken: boolean;
}

const NEWLINE = 0x0a;
const COMMA = 0x2c;
const CLOSING_BRACE = 0x7d;
const FIRST_READ = 64 * 1024;
/** The recorder writes `{"v":1,"seq":N,...}`: the seq can be read without parsing the line. */
const SEQ_PREFIX = /^\{"v":\d+,"seq":(\d+)[,}]/;

/** The events of a chunk as the body of a JSON array (`[${body}]` is the array). */
export const chunkBody = (chunk: HistoryChunk): string =>
  chunk.data.toString("utf8", chunk.bodyStart, chunk.bodyEnd);

/** A line's seq from its head, else by parsing it; undefined when it is not an event. */
function lineSeq(data: Buffer, start: number, end: number): number | undefined {
  const match = SEQ_PREFIX.exec(data.toString("latin1", start, Math.min(end, start + 48)));
  if (match && data[end - 1] === CLOSING_BRACE) return Number(match[1]);
  try {
    const seq = (JSON.parse(data.toString("utf8", start, end)) as { seq?: unknown }).seq;
    return typeof seq === "number" && Number.isInteger(seq) && seq >= 0 ? seq : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the next complete lines of an events.jsonl from a byte offset, up to `limit` (a line
 * boundary; default the end of the file): about `maxBytes` of them, or one whole line if a single
 * line is longer. Lines below `fromSeq` are skipped. An unterminated line ends the chunk and is not
 * consumed: a line still being written, or a torn tail after a crash. So does a line that is not
 * an event (`broken`). The returned buffer has a spare byte after the last line's newline (see
 * socket.ts: the frame of an `events` message is built around the body in place).
 */
export async function readHistoryChunk(
  path: string,
  offset: number,
  fromSeq: number,
  maxBytes: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<HistoryChunk> {
  const none = (eof: boolean, data: Buffer = Buffer.alloc(0), consumed = 0): HistoryChunk => ({
    data,
    bodyStart: 0,
    bodyEnd: 0,
    count: 0,
    firstSeq: -1,
    lastSeq: -1,
    skipped: 0,
    offset: offset + consumed,
    eof,
    broken: false,
  });
  if (offset >= limit) return none(true);
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return none(true);
    throw error;
  }
  let data: Buffer;
  let total: number;
  let reachedEnd: boolean;
  try {
    const first = Math.min(Math.max(maxBytes, FIRST_READ), limit - offset);
    data = Buffer.allocUnsafe(first + 1);
    total = (await handle.read(data, 0, first, offset)).bytesRead;
    reachedEnd = total < first || offset + total >= limit;
    if (!reachedEnd && data.subarray(0, total).indexOf(NEWLINE) === -1) {
      // One line longer than a chunk (run-started holds a whole graph): read on, into one buffer
      // sized to the file, until the line ends.
      const end = Math.min((await handle.stat()).size, limit);
      const whole = Buffer.allocUnsafe(Math.max(end - offset, total) + 1);
      data.copy(whole, 0, 0, total);
      data = whole;
      let step = total;
      while (!reachedEnd) {
        step *= 2;
        const want = Math.min(step, end - offset - total);
        const { bytesRead } = await handle.read(data, total, want, offset + total);
        const found = data.subarray(total, total + bytesRead).indexOf(NEWLINE) !== -1;
        total += bytesRead;
        reachedEnd = bytesRead < want || offset + total >= end;
        if (found) break;
      }
    }
  } finally {
    await handle.close();
  }

  // The lines to send, as [start, end) ranges of `data`.
  const starts: number[] = [];
  const ends: number[] = [];
  let firstSeq = -1;
  let lastSeq = -1;
  let skipped = 0;
  let start = 0;
  let consumed = 0;
  let broken = false;
  for (;;) {
    const end = data.indexOf(NEWLINE, start);
    if (end === -1 || end >= total) break;
    if (end > start) {
      const seq = lineSeq(data, start, end);
      if (seq === undefined) {
        broken = true;
        break;
      }
      if (seq >= fromSeq) {
        if (starts.length === 0) firstSeq = seq;
        starts.push(start);
        ends.push(end);
        lastSeq = seq;
      } else skipped++;
    }
    start = end + 1;
    consumed = start;
    if (consumed >= maxBytes && starts.length > 0) break;
  }
  const rest = data.subarray(consumed, total);
  const eof = broken || (reachedEnd && rest.indexOf(NEWLINE) === -1);
  if (starts.length === 0) return { ...none(eof, data, consumed), skipped, broken };
  // One body in place: each newline between two lines becomes a comma; lines that do not follow
  // one another (a blank line between them) are moved up first.
  let write = starts[0]!;
  for (let i = 0; i < starts.length; i++) {
    if (starts[i] !== write) data.copy(data, write, starts[i], ends[i]);
    write += ends[i]! - starts[i]!;
    if (i < starts.length - 1) data[write++] = COMMA;
  }
  return {
    data,
    bodyStart: starts[0]!,
    bodyEnd: write,
    count: starts.length,
    firstSeq,
    lastSeq,
    skipped,
    offset: offset + consumed,
    eof,
    broken,
  };
}
