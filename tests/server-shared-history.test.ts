/**
 * The live run's history read once for all its clients (sim/app/server/shared-history.ts): many
 * clients reading events.jsonl from the start get every event exactly once in seq order while the
 * file is read once per chunk, not once per client; a read from a later seq, within a smaller
 * limit, or after the log has grown gets what reading the file itself would give.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import { chunkBody, type HistoryChunk } from "../sim/app/server/history.js";
import { SharedHistory } from "../sim/app/server/shared-history.js";
import { tempDir } from "./support/llm-helpers.js";

const tmp = tempDir("shared-history");
afterAll(() => tmp.cleanup());

const line = (seq: number) =>
  `${JSON.stringify({ v: 1, seq, type: "warning", t: { generation: 1 }, message: `m${seq}`, at: "" })}\n`;
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => line(from + i)).join("");
const seqs = (chunk: HistoryChunk) =>
  chunk.count === 0 ? [] : (JSON.parse(`[${chunkBody(chunk)}]`) as AgoraEvent[]).map((e) => e.seq);

/** A client's reading: chunk after chunk from `fromSeq` up to `limit`, as EventStream reads. */
async function readAll(
  read: (offset: number, fromSeq: number) => Promise<HistoryChunk>,
  fromSeq = 0,
): Promise<number[]> {
  const received: number[] = [];
  let offset = 0;
  let next = fromSeq;
  for (;;) {
    const chunk = await read(offset, next);
    received.push(...seqs(chunk));
    offset = chunk.offset;
    if (chunk.count > 0) next = chunk.lastSeq + 1;
    if (chunk.eof) return received;
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("the history shared by a live run's clients", () => {
  it("twenty clients reading the log together get every event once, in order, from one read per chunk", async () => {
    const path = join(tmp.path, "together.jsonl");
    writeFileSync(path, lines(0, 500));
    const chunkBytes = 2048;
    const alone = new SharedHistory(path, chunkBytes);
    expect(await readAll((offset, from) => alone.read(offset, from))).toEqual(range(0, 500));
    const chunks = alone.fileReads;
    expect(chunks).toBeGreaterThan(10);

    const shared = new SharedHistory(path, chunkBytes);
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => readAll((offset, from) => shared.read(offset, from))),
    );
    for (const received of clients) expect(received).toEqual(range(0, 500));
    // Each client's last read past the end finds no event, which is not kept: one read each.
    expect(shared.fileReads).toBeLessThanOrEqual(chunks + 20);
    shared.clear();
    alone.clear();
  });

  it("a read from a later seq, within a smaller limit, or after the log grew is the file's own answer", async () => {
    const path = join(tmp.path, "growing.jsonl");
    writeFileSync(path, lines(0, 100));
    const chunkBytes = 1 << 20;
    const shared = new SharedHistory(path, chunkBytes);
    const first = await shared.read(0, 0);
    expect(seqs(first)).toEqual(range(0, 100));

    // From a seq inside the kept chunk: the events below it are not sent again.
    const later = await shared.read(0, 40);
    expect(seqs(later)).toEqual(range(40, 100));
    expect(later).toMatchObject({ offset: first.offset, eof: true });

    // A limit before the kept chunk's end (an earlier point of the feed): nothing past it.
    const half = Buffer.byteLength(lines(0, 50));
    const limited = await shared.read(0, 0, half);
    expect(seqs(limited)).toEqual(range(0, 50));
    expect(limited).toMatchObject({ offset: half, eof: true });

    // The log grows: the kept chunk still answers from 0, and is not the end any more.
    appendFileSync(path, lines(100, 130));
    expect(await readAll((offset, from) => shared.read(offset, from))).toEqual(range(0, 130));
    shared.clear();
  });
});
