import { open } from "node:fs/promises";
import type { AgoraEvent } from "../../core/events.js";

export interface HistoryChunk {
  /** Complete events with seq >= fromSeq, in file order. */
  events: AgoraEvent[];
  /** Byte offset just after the last line consumed: where the next read starts. */
  offset: number;
  /** No complete line is left after `offset` (for now: a live run's log keeps growing). */
  eof: boolean;
}

const NEWLINE = 0x0a;
/** The engine writes `{"v":1,"seq":N,...}`: the seq can be read without parsing the whole line. */
const SEQ_PREFIX = /^\{"v":\d+,"seq":(\d+)[,}]/;

/**
 * Reads the next complete lines of an events.jsonl from a byte offset: about `maxBytes` of them,
 * or one whole line if a single line is longer. Lines below `fromSeq` are skipped unparsed. An
 * unterminated or unparsable line ends the chunk (and is not consumed): it is a line still being
 * written, or a torn tail after a crash.
 */
export async function readHistoryChunk(
  path: string,
  offset: number,
  fromSeq: number,
  maxBytes: number,
): Promise<HistoryChunk> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { events: [], offset, eof: true };
    throw error;
  }
  try {
    const parts: Buffer[] = [];
    let total = 0;
    let reachedEnd = false;
    let sawNewline = false;
    // Read about maxBytes; keep going (doubling) while no line is complete yet: one huge line.
    for (;;) {
      const want = Math.max(maxBytes - total, total, 64 * 1024);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, offset + total);
      const piece = buffer.subarray(0, bytesRead);
      parts.push(piece);
      total += bytesRead;
      sawNewline ||= piece.includes(NEWLINE);
      if (bytesRead < want) {
        reachedEnd = true;
        break;
      }
      if (total >= maxBytes && sawNewline) break;
    }
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    const events: AgoraEvent[] = [];
    let start = 0;
    let consumed = 0;
    let broken = false;
    for (;;) {
      const end = data.indexOf(NEWLINE, start);
      if (end === -1) break;
      if (end > start) {
        const head = data.toString("utf8", start, Math.min(end, start + 48));
        const match = SEQ_PREFIX.exec(head);
        if (!match || Number(match[1]) >= fromSeq) {
          let event: AgoraEvent;
          try {
            event = JSON.parse(data.toString("utf8", start, end)) as AgoraEvent;
          } catch {
            broken = true;
            break;
          }
          if (event.seq >= fromSeq) events.push(event);
        }
      }
      start = end + 1;
      consumed = start;
      if (consumed >= maxBytes && events.length > 0) break;
    }
    // What is left is an unterminated line, or lines beyond this chunk's size.
    const eof = broken || (reachedEnd && data.indexOf(NEWLINE, consumed) === -1);
    return { events, offset: offset + consumed, eof };
  } finally {
    await handle.close();
  }
}
