/**
 * The compressed event log (`agora run --compress`, events.jsonl.gz): the same run recorded plain
 * and compressed reads back the same through every reader of sim/core/recorder.ts (the shared
 * reader the exports, the batch tables, the LLM-Culture export, rebuildTables and the server use),
 * and a compressed run interrupted, then torn mid-write, resumes to the uninterrupted run's events.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { io } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { readRun } from "../sim/app/export/run-data.js";
import { RunDirectoryError } from "../sim/app/resume-check.js";
import { resumeRun, startRunFrom } from "../sim/app/run.js";
import { startServer } from "../sim/app/server/index.js";
import type { AgoraEvent } from "../sim/core/events.js";
import {
  eventLogPath,
  plainEventLogPath,
  readEventLog,
  rebuildTables,
  streamJsonLines,
} from "../sim/core/recorder.js";
import { exportLlmCulture } from "../scenarios/transmission/interop/llm-culture.js";
import { runCli, stableEvents, tempDir } from "./support/llm-helpers.js";

const tmp = tempDir("event-log-compressed");
afterAll(() => tmp.cleanup());

const DONOR = {
  scenario: "donor-game",
  seed: 3,
  generations: 4,
  population: {
    size: 8,
    minds: [
      { count: 4, policy: "tit-for-tat", initial: 1 },
      { count: 4, policy: "random", min: 0, max: 1 },
    ],
  },
};

async function record(name: string, compress: boolean, raw: object = DONOR): Promise<string> {
  const out = join(tmp.path, name);
  const result = await startRunFrom(raw, tmp.path, { out, compress });
  expect(result.status).toBe("completed");
  return out;
}

const text = (path: string) => readFileSync(path, "utf8");

describe("a compressed run", () => {
  it("writes events.jsonl.gz only, and every reader reads what the plain run's readers read", async () => {
    const plain = await record("plain", false);
    const gz = await record("gz", true);
    expect(existsSync(join(gz, "events.jsonl"))).toBe(false);
    expect(eventLogPath(gz)).toBe(join(gz, "events.jsonl.gz"));
    expect(eventLogPath(plain)).toBe(join(plain, "events.jsonl"));
    // Real gzip: another decoder reads it too.
    const gzBytes = readFileSync(join(gz, "events.jsonl.gz"));
    expect([...gzBytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);

    const events = readEventLog(plain);
    expect(events.length).toBeGreaterThan(300);
    expect(stableEvents(readEventLog(gz))).toEqual(stableEvents(events));
    for (const name of ["metrics.jsonl", "agents.jsonl"])
      expect(text(join(gz, name)), name).toBe(text(join(plain, name)));

    // The streaming reader (batch tables) and the exports' reader.
    const streamed: AgoraEvent[] = [];
    for await (const e of streamJsonLines<AgoraEvent>(eventLogPath(gz))) streamed.push(e);
    expect(stableEvents(streamed)).toEqual(stableEvents(events));
    const [a, b] = [readRun(plain), readRun(gz)];
    expect(stableEvents(b.events)).toEqual(stableEvents(a.events));
    expect(b.agents).toEqual(a.agents);
    expect(b.lastRows).toEqual(a.lastRows);

    // The server's byte-offset reader gets a plain copy holding the same lines.
    const copy = plainEventLogPath(gz);
    expect(copy).not.toBe(eventLogPath(gz));
    expect(stableEvents(parseLines(text(copy)))).toEqual(stableEvents(events));
    expect(plainEventLogPath(plain)).toBe(join(plain, "events.jsonl"));

    // rebuildTables from the compressed log.
    rmSync(join(gz, "metrics.jsonl"));
    rmSync(join(gz, "agents.jsonl"));
    rebuildTables(gz);
    for (const name of ["metrics.jsonl", "agents.jsonl"])
      expect(text(join(gz, name)), name).toBe(text(join(plain, name)));

    // The CLI's exports.
    const exported: string[] = [];
    for (const dir of [plain, gz]) {
      const file = join(tmp.path, `${dir.endsWith("gz") ? "gz" : "plain"}-lineage.csv`);
      const result = await runCli(["export", "lineage-csv", dir, "--out", file]);
      expect(result.code, result.stderr).toBe(0);
      exported.push(text(file));
    }
    expect(exported[1]).toBe(exported[0]);

    // The server streams the compressed run as it is recorded.
    const server = await startServer({ runsDir: tmp.path, port: 0 });
    const socket = io(`http://127.0.0.1:${server.port}`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    try {
      const received: AgoraEvent[] = [];
      const ended = new Promise<void>((resolve) =>
        socket.on("events", (batch: AgoraEvent[]) => {
          received.push(...batch);
          if (batch.some((e) => e.type === "run-ended")) resolve();
        }),
      );
      const ack = (await socket.timeout(5000).emitWithAck("subscribe", { runId: "gz" })) as {
        ok: boolean;
      };
      expect(ack.ok).toBe(true);
      await ended;
      expect(received).toEqual(readEventLog(gz));
    } finally {
      socket.close();
      await server.close();
      // The server's decompressed copy (a cache in the OS temp directory) goes with the test.
      rmSync(plainEventLogPath(gz), { force: true });
    }
  });

  it("exports to LLM-Culture's format as the plain run does", async () => {
    const raw = {
      scenario: "transmission",
      seed: 2,
      generations: 3,
      population: { size: 4, minds: [{ count: 4, policy: "text-operators" }] },
      graph: { type: "cycle" },
      transmission: { mode: "network", transformation: "combine" },
    };
    const plain = await record("tx-plain", false, raw);
    const gz = await record("tx-gz", true, raw);
    expect(exportLlmCulture(gz)).toEqual(exportLlmCulture(plain));
  });

  it("refuses --compress with --serve, naming both", async () => {
    const result = await runCli(["run", "x.yaml", "--compress", "--serve"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--compress with --serve/);
  });
});

describe("resuming a compressed run", () => {
  async function interrupted(name: string): Promise<string> {
    const out = join(tmp.path, name);
    const abort = new AbortController();
    const result = await startRunFrom(DONOR, tmp.path, {
      out,
      compress: true,
      signal: abort.signal,
      hooks: { onGenerationEnd: (info) => void (info.generation === 2 && abort.abort()) },
    });
    expect(result.status).toBe("interrupted");
    return out;
  }

  // A crash mid-write leaves part of a gzip member of events past the checkpoint: half of one
  // (some of its text readable), or a few bytes of its header (none).
  it.for([
    ["half a member", 0.5],
    ["a torn header", 5],
  ] as const)("drops a torn gzip tail (%s) and ends as the uninterrupted run", async ([, cut]) => {
    const reference = join(tmp.path, "reference");
    if (!existsSync(reference)) await record("reference", true);
    const dir = await interrupted(`torn-${cut}`);
    // A crash right after the checkpoint: the log ends with its last event (no run-ended).
    const path = join(dir, "events.jsonl.gz");
    const { nextSeq } = JSON.parse(text(join(dir, "checkpoint.json"))) as { nextSeq: number };
    const kept = readEventLog(dir).slice(0, nextSeq);
    writeFileSync(path, gzipSync(kept.map((e) => `${JSON.stringify(e)}\n`).join("")));
    const member = gzipSync(`${JSON.stringify({ v: 3, seq: 1e6, type: "warning" })}\n`.repeat(50));
    const length = cut < 1 ? Math.floor(member.length * cut) : cut;
    appendFileSync(path, member.subarray(0, length));
    const resumed = await resumeRun(dir);
    expect(resumed.status).toBe("completed");
    expect(existsSync(join(dir, "events.jsonl"))).toBe(false);
    expect(stableEvents(readEventLog(dir))).toEqual(stableEvents(readEventLog(reference)));
    for (const name of ["metrics.jsonl", "agents.jsonl"])
      expect(text(join(dir, name)), name).toBe(text(join(reference, name)));
  });

  it("refuses a log damaged before its tail, naming the file", async () => {
    const dir = await interrupted("damaged");
    const path = join(dir, "events.jsonl.gz");
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(path, bytes);
    const error = await resumeRun(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunDirectoryError);
    expect((error as Error).message).toContain(`${path}: damaged gzip data`);
    // Left as it was.
    expect(readFileSync(path)).toEqual(bytes);
  });
});

function parseLines(body: string): AgoraEvent[] {
  return body
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AgoraEvent);
}
