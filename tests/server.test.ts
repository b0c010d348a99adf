/**
 * The live viewer's server: /api/runs, static files, and the socket.io protocol (subscribe with
 * history then live events, controls, validation, token, slow clients), against a real server on
 * 127.0.0.1 and real socket.io clients, with policy-mind runs (no LLM).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import {
  io,
  type ManagerOptions,
  type Socket as ClientSocket,
  type SocketOptions,
} from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { StepGate } from "../sim/app/control.js";
import { viewerUrlOf } from "./support/browser.js";
import type { AgoraEvent } from "../sim/core/events.js";
import { startRun, type RunResult } from "../sim/app/run.js";
import { chunkBody, readHistoryChunk, type HistoryChunk } from "../sim/app/server/history.js";
import {
  LiveRun,
  startServer,
  type AgoraServer,
  type ControlAck,
  type RunState,
  type RunSummary,
  type ServerOptions,
  type SubscribeAck,
} from "../sim/app/server/index.js";
import {
  readEvents,
  sleep,
  spawnCli,
  tempDir,
  writeConfig,
  type CliProcess,
} from "./support/llm-helpers.js";

// ---------------------------------------------------------------------------------------------
// Fixtures

const tmp = tempDir("server");
const runsDir = join(tmp.path, "runs");
const RECORDED = "recorded";
let configPath = "";
let shortConfigPath = "";

function policyConfig(generations: number): Record<string, unknown> {
  return {
    scenario: "donor-game",
    seed: 1,
    generations,
    population: {
      size: 12,
      minds: [
        { count: 3, policy: "constant", fraction: 0.5 },
        { count: 3, policy: "tit-for-tat" },
        { count: 2, policy: "image-scoring" },
        { count: 2, policy: "defect" },
        { count: 2, policy: "random" },
      ],
    },
    cache: { dir: join(tmp.path, "cache") },
  };
}

beforeAll(async () => {
  configPath = writeConfig(join(tmp.path, "configs"), "three.yaml", policyConfig(3));
  shortConfigPath = writeConfig(join(tmp.path, "configs"), "two.yaml", policyConfig(2));
  mkdirSync(runsDir, { recursive: true });
  const recorded = await startRun(configPath, { out: join(runsDir, RECORDED) });
  expect(recorded.status).toBe("completed");
});

afterAll(() => tmp.cleanup());

// Everything a test opens, closed after it.
const sockets: ClientSocket[] = [];
const servers: AgoraServer[] = [];
const lives: { live: LiveRun; done: Promise<RunResult> }[] = [];
const children: CliProcess[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  for (const { live, done } of lives.splice(0)) {
    live.gate.setSpeed(0);
    live.gate.resume();
    await done;
  }
  for (const server of servers.splice(0)) await server.close();
  for (const child of children.splice(0)) {
    if (child.child.exitCode === null && child.child.signalCode === null)
      child.child.kill("SIGKILL");
    await child.done;
  }
});

let liveCount = 0;

/** A live run in runsDir, executed in-process and served. Paused runs wait for the test. */
async function startLive(
  options: { paused?: boolean; speed?: number; config?: string; server?: ServerOptions } = {},
) {
  const gate = new StepGate({ paused: options.paused ?? false, speed: options.speed ?? 0 });
  const live = new LiveRun({
    dir: join(runsDir, `live-${++liveCount}`),
    scenario: "donor-game",
    gate,
  });
  const server = await startServer({ runsDir, live, port: 0, ...options.server });
  servers.push(server);
  const done = startRun(options.config ?? configPath, {
    out: live.dir,
    hooks: live.hooks,
    onStart: live.onStart,
  }).then((result) => {
    live.finish(result);
    return result;
  });
  lives.push({ live, done });
  return { live, gate, server, done };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const base = (server: AgoraServer) => `http://127.0.0.1:${server.port}`;

/** A socket.io client that records every batch and run-state it receives. */
class Viewer {
  events: AgoraEvent[] = [];
  states: RunState[] = [];
  batches = 0;

  constructor(readonly socket: ClientSocket) {
    socket.on("events", (batch: AgoraEvent[]) => {
      this.batches++;
      this.events.push(...batch);
    });
    socket.on("run-state", (state: RunState) => this.states.push(state));
  }

  get lastSeq(): number {
    return this.events.at(-1)?.seq ?? -1;
  }

  get ended(): boolean {
    return this.events.some((e) => e.type === "run-ended");
  }

  subscribe(message: unknown): Promise<SubscribeAck> {
    return this.socket.timeout(5000).emitWithAck("subscribe", message) as Promise<SubscribeAck>;
  }

  control(message: unknown): Promise<ControlAck> {
    return this.socket.timeout(5000).emitWithAck("control", message) as Promise<ControlAck>;
  }
}

async function connect(
  server: AgoraServer,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<Viewer> {
  const socket = io(base(server), {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...options,
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return new Viewer(socket);
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The events received are exactly the log's, from `from`, each once and in order. */
function expectWholeLog(viewer: Viewer, dir: string, from = 0) {
  const log = readEvents(dir);
  expect(log.at(-1)?.type).toBe("run-ended");
  expect(viewer.events.map((e) => e.seq)).toEqual(range(from, log.length - 1));
  expect(viewer.events).toEqual(log.slice(from));
}

async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

// ---------------------------------------------------------------------------------------------

describe("subscribing to a live run", () => {
  it("a late subscriber gets the whole history, then live events, with no gap and no duplicate", async () => {
    const { live, gate, done } = await startLive({ paused: true });
    for (let i = 1; i <= 3; i++) {
      gate.step();
      await until(() => gate.released === i && gate.waiting, `step ${i}`);
    }
    const historyEnd = live.nextSeq - 1;
    expect(historyEnd).toBeGreaterThan(12);

    const late = await connect(servers[0]!);
    const ack = await late.subscribe({ runId: live.id });
    expect(ack).toEqual({ ok: true, runId: live.id, live: true, status: "running" });
    await until(() => late.lastSeq === historyEnd, "the history");
    expect(late.states[0]).toEqual({
      runId: live.id,
      live: true,
      status: "running",
      paused: true,
      speed: 0,
      generation: 1,
    });
    const first = late.events[0]!;
    expect(first.type).toBe("run-started");
    expect(first.type === "run-started" && first.graph.nodes.length).toBe(12);

    // Another starts from a seq; a third subscribes just as the run resumes (history read races the
    // engine).
    const fromSeq = await connect(servers[0]!);
    expect((await fromSeq.subscribe({ runId: live.id, fromSeq: 5 })).ok).toBe(true);
    const racer = await connect(servers[0]!);
    const racerAck = racer.subscribe({ runId: live.id });
    gate.resume();
    expect((await racerAck).ok).toBe(true);

    const result = await done;
    expect(result.status).toBe("completed");
    await until(() => [late, fromSeq, racer].every((v) => v.ended), "run-ended everywhere");
    expectWholeLog(late, live.dir);
    expectWholeLog(racer, live.dir);
    expectWholeLog(fromSeq, live.dir, 5);
    expect(late.batches).toBeGreaterThan(1);
    await until(() => late.states.at(-1)?.status === "completed", "the final run-state");
    expect(late.states.at(-1)).toMatchObject({
      runId: live.id,
      live: true,
      status: "completed",
      generation: 3,
    });
  });

  it("pause holds the run, step advances exactly one step, resume runs to the end", async () => {
    const { live, gate, server } = await startLive({ paused: true, config: shortConfigPath });
    const viewer = await connect(server);
    expect((await viewer.subscribe({ runId: live.id })).ok).toBe(true);

    expect(await viewer.control({ runId: live.id, action: "speed", value: 50 })).toEqual({
      ok: true,
      state: { paused: true, speed: 50 },
    });
    expect(await viewer.control({ runId: live.id, action: "resume" })).toEqual({
      ok: true,
      state: { paused: false, speed: 50 },
    });
    await until(() => viewer.lastSeq > 40, "live events");
    expect(await viewer.control({ runId: live.id, action: "pause" })).toEqual({
      ok: true,
      state: { paused: true, speed: 50 },
    });
    await until(
      () => gate.waiting && viewer.lastSeq === live.nextSeq - 1,
      "the engine held and the viewer up to date",
    );
    await until(() => viewer.states.at(-1)?.paused === true, "a paused run-state");
    const held = viewer.lastSeq;
    const released = gate.released;
    await sleep(300);
    expect(viewer.lastSeq).toBe(held);
    expect(live.nextSeq - 1).toBe(held);
    expect(gate.released).toBe(released);

    expect(await viewer.control({ runId: live.id, action: "step" })).toEqual({
      ok: true,
      state: { paused: true, speed: 50 },
    });
    await until(
      () => gate.released === released + 1 && gate.waiting && viewer.lastSeq === live.nextSeq - 1,
      "one step",
    );
    const stepped = viewer.lastSeq;
    expect(stepped).toBeGreaterThan(held);
    await sleep(300);
    expect(viewer.lastSeq).toBe(stepped);
    expect(gate.released).toBe(released + 1);

    expect((await viewer.control({ runId: live.id, action: "speed", value: 0 })).ok).toBe(true);
    expect(await viewer.control({ runId: live.id, action: "resume" })).toEqual({
      ok: true,
      state: { paused: false, speed: 0 },
    });
    await until(() => viewer.ended, "run-ended");
    expectWholeLog(viewer, live.dir);
    const speeds = viewer.states.map((s) => [s.paused, s.speed]);
    expect(speeds).toContainEqual([true, 50]);
    expect(speeds).toContainEqual([false, 50]);
    await until(() => viewer.states.at(-1)?.status === "completed", "completed");
    // Controls are for a running run only.
    expect(await viewer.control({ runId: live.id, action: "pause" })).toMatchObject({ ok: false });
  });

  it("refuses malformed messages with { ok: false } and changes nothing", async () => {
    const { live, gate, viewer } = await subscribedAfterOneStep();

    const badSubscribes: unknown[] = [
      { runId: 5 },
      { runId: "../etc" },
      { runId: ".." },
      { runId: "a/b" },
      { runId: "a\\b" },
      { runId: "" },
      { runId: "/etc/passwd" },
      { runId: "no-such-run" },
      { runId: live.id, extra: 1 },
      { runId: live.id, fromSeq: -1 },
      { runId: live.id, fromSeq: 1.5 },
      { runId: live.id, fromSeq: "3" },
      {},
      "live-1",
      null,
      [live.id],
    ];
    for (const message of badSubscribes) {
      const ack = await viewer.subscribe(message);
      expect(ack, JSON.stringify(message)).toMatchObject({ ok: false });
      expect(typeof (ack as { error: unknown }).error).toBe("string");
    }
    const badControls: unknown[] = [
      { runId: live.id, action: "explode" },
      { runId: live.id, action: "speed", value: -1 },
      { runId: live.id, action: "speed", value: "fast" },
      { runId: live.id, action: "speed" },
      { runId: live.id, action: "pause", value: 1 },
      { runId: live.id, action: "resume", extra: true },
      { runId: RECORDED, action: "resume" },
      { runId: "../x", action: "resume" },
      { runId: "no-such-run", action: "resume" },
      { action: "resume" },
      "resume",
      null,
    ];
    for (const message of badControls) {
      expect(await viewer.control(message), JSON.stringify(message)).toMatchObject({ ok: false });
    }
    expect(await viewer.control({ runId: RECORDED, action: "pause" })).toEqual({
      ok: false,
      error: `${RECORDED} is a recorded run: only the live run can be controlled`,
    });
    // Two messages where one is expected, and messages without an ack callback: nothing happens.
    expect(
      await (viewer.socket
        .timeout(5000)
        .emitWithAck("subscribe", { runId: RECORDED }, "extra") as Promise<SubscribeAck>),
    ).toMatchObject({ ok: false });
    viewer.socket.emit("control", { runId: live.id, action: "explode" });
    viewer.socket.emit("subscribe", { runId: 5 });
    viewer.socket.emit("subscribe");
    await sleep(50);

    expect(gate.state).toEqual({ paused: true, speed: 0 });
    expect(gate.released).toBe(1);
    // The subscription is still the live run's: the next step reaches this viewer.
    const before = viewer.lastSeq;
    expect((await viewer.control({ runId: live.id, action: "step" })).ok).toBe(true);
    await until(
      () => viewer.lastSeq > before && viewer.lastSeq === live.nextSeq - 1,
      "the next step's events",
    );
    expect(viewer.events.map((e) => e.seq)).toEqual(range(0, viewer.lastSeq));
  });

  it("a new subscribe replaces the previous one", async () => {
    const { gate, viewer } = await subscribedAfterOneStep();
    expect(await viewer.subscribe({ runId: RECORDED })).toEqual({
      ok: true,
      runId: RECORDED,
      live: false,
      status: "completed",
    });
    const afterAck = viewer.events.length;
    gate.resume();
    await until(() => viewer.ended, "the recorded run's end");
    await sleep(100);
    const replay = viewer.events.slice(afterAck);
    expect(replay).toEqual(readEvents(join(runsDir, RECORDED)));
    expect(viewer.states.at(-1)).toEqual({
      runId: RECORDED,
      live: false,
      status: "completed",
      paused: false,
      speed: 0,
      generation: 3,
    });
  });
});

describe("reading events.jsonl in chunks", () => {
  const line = (seq: number, pad = 0) =>
    `${JSON.stringify({ v: 1, seq, type: "warning", t: { generation: 1 }, message: "x".repeat(pad), at: "" })}\n`;
  /** The seqs of a chunk's events, read from its body as a client would. */
  const seqs = (chunk: HistoryChunk) =>
    (JSON.parse(`[${chunkBody(chunk)}]`) as AgoraEvent[]).map((e) => e.seq);

  it("skips below fromSeq, stops at an unterminated or unparsable line or at the limit, and takes an oversized line whole", async () => {
    const path = join(tmp.path, "chunks.jsonl");
    writeFileSync(path, line(0) + line(1, 5000) + line(2) + line(3) + '{"v":1,"seq":4,"ty');
    const all = await readHistoryChunk(path, 0, 0, 100);
    // The first line is under 100 bytes, the second is larger than the chunk: both are taken.
    expect(seqs(all)).toEqual([0, 1]);
    expect(all).toMatchObject({ count: 2, lastSeq: 1, eof: false, broken: false });
    const rest = await readHistoryChunk(path, all.offset, 0, 1 << 20);
    expect(seqs(rest)).toEqual([2, 3]);
    expect(rest.eof).toBe(true);
    const skipped = await readHistoryChunk(path, 0, 3, 1 << 20);
    expect(seqs(skipped)).toEqual([3]);
    expect(skipped.offset).toBe(rest.offset);
    // A limit at a line boundary: nothing past it is read.
    const limited = await readHistoryChunk(path, 0, 0, 1 << 20, all.offset);
    expect(seqs(limited)).toEqual([0, 1]);
    expect(limited).toMatchObject({ offset: all.offset, eof: true });
    writeFileSync(path, line(0) + "not json\n" + line(2));
    const broken = await readHistoryChunk(path, 0, 0, 1 << 20);
    expect(seqs(broken)).toEqual([0]);
    expect(broken).toMatchObject({ eof: true, broken: true });
    expect(await readHistoryChunk(join(tmp.path, "missing.jsonl"), 0, 0, 100)).toMatchObject({
      count: 0,
      lastSeq: -1,
      offset: 0,
      eof: true,
      broken: false,
    });
  });
});

describe("slow clients", () => {
  it("a stalled client holds a bounded buffer while the run goes on, then catches up from the log", async () => {
    const limit = 20;
    const { live, gate, server, done } = await startLive({
      paused: true,
      server: { maxBufferedEvents: limit, historyChunkBytes: 4096, batchIntervalMs: 10 },
    });
    const healthy = await connect(server);
    expect((await healthy.subscribe({ runId: live.id })).ok).toBe(true);
    // Long-polling, so that the client can stop fetching: the server then cannot hand anything on.
    const stalled = await connect(server, { transports: ["polling"] });
    expect((await stalled.subscribe({ runId: live.id })).ok).toBe(true);
    await until(() => stalled.states.length > 0, "the first run-state");

    type PollingTransport = {
      pause(onPause: () => void): void;
      readyState: string;
      _poll(): void;
      name: string;
    };
    const transport = (stalled.socket.io as unknown as { engine: { transport: PollingTransport } })
      .engine.transport;
    expect(transport.name).toBe("polling");
    // The pause takes effect once the poll in flight returns: the next step's events complete it.
    const paused = new Promise<void>((resolve) => transport.pause(resolve));
    gate.step();
    await paused;
    gate.resume();
    const result = await done;
    expect(result.status).toBe("completed");
    const total = live.nextSeq;
    expect(total).toBeGreaterThan(limit * 10);

    await until(() => healthy.ended, "the healthy client's run-ended");
    expectWholeLog(healthy, live.dir);
    // The engine did not wait, and the stalled client's backlog on the server stayed bounded.
    const stats = (await server.clients()).find((c) => c.socketId === stalled.socket.id)!;
    expect(stats.overflows).toBeGreaterThanOrEqual(1);
    expect(stats.buffered).toBeLessThanOrEqual(limit);
    expect(stats.queuedMessages).toBeLessThanOrEqual(2);
    expect(stats.sentSeq).toBeLessThan(total);
    expect(stalled.ended).toBe(false);

    // The client reads again: it catches up from events.jsonl, with no gap and no duplicate.
    transport.readyState = "open";
    transport._poll();
    await until(() => stalled.ended, "the stalled client's run-ended");
    expectWholeLog(stalled, live.dir);
  });
});

describe("HTTP", () => {
  it("/api/runs lists the live run and the recorded runs; unknown /api paths are 404", async () => {
    const { live, gate, server } = await startLive({ paused: true });
    gate.step();
    await until(() => gate.released === 1 && gate.waiting, "a first step");
    const { status, body } = await getJson(`${base(server)}/api/runs`);
    expect(status).toBe(200);
    const rows = body as RunSummary[];
    const liveRow = rows.find((r) => r.id === live.id)!;
    expect(Object.keys(liveRow).sort()).toEqual([
      "endedAt",
      "generation",
      "id",
      "live",
      "scenario",
      "startedAt",
      "status",
    ]);
    expect(liveRow).toMatchObject({
      scenario: "donor-game",
      status: "running",
      generation: 1,
      live: true,
      endedAt: null,
    });
    expect(typeof liveRow.startedAt).toBe("string");
    const recorded = rows.find((r) => r.id === RECORDED)!;
    expect(recorded).toMatchObject({
      scenario: "donor-game",
      status: "completed",
      generation: 3,
      live: false,
    });
    expect(typeof recorded.startedAt).toBe("string");
    expect(typeof recorded.endedAt).toBe("string");
    expect(rows.filter((r) => r.id === live.id)).toHaveLength(1);

    const missing = await getJson(`${base(server)}/api/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: expect.any(String) });
    expect((await fetch(`${base(server)}/api/runs`, { method: "POST" })).status).toBe(405);
  });

  it("serves the built viewer, or a 503 page saying how to build it, and nothing outside it", async () => {
    const dist = join(tmp.path, "dist");
    mkdirSync(join(dist, "assets"), { recursive: true });
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>viewer</title>");
    writeFileSync(join(dist, "assets", "app.js"), "console.log(1)");
    const server = await startServer({ runsDir, port: 0, staticDir: dist });
    servers.push(server);
    const index = await fetch(`${base(server)}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    expect(await index.text()).toContain("<title>viewer</title>");
    const asset = await fetch(`${base(server)}/assets/app.js`);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${base(server)}/assets/none.js`)).status).toBe(404);
    expect((await fetch(`${base(server)}/favicon.ico`)).status).toBe(204);
    for (const path of [
      "/../package.json",
      "/%2e%2e/package.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/..%2fpackage.json",
    ]) {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: "127.0.0.1", port: server.port, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
      expect(status, path).toBe(404);
    }

    const bare = await startServer({ runsDir, port: 0, staticDir: join(tmp.path, "no-dist") });
    servers.push(bare);
    const page = await fetch(`${base(bare)}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("npm run build:viewer");
  });

  it("with a token, the API and socket connections need it; static files do not", async () => {
    const token = "s3cret-token";
    const server = await startServer({
      runsDir,
      port: 0,
      token,
      staticDir: join(tmp.path, "no-dist"),
    });
    servers.push(server);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${token}`);

    expect((await getJson(`${base(server)}/api/runs`)).status).toBe(401);
    expect((await getJson(`${base(server)}/api/runs?token=wrong`)).status).toBe(401);
    expect(
      (await getJson(`${base(server)}/api/runs`, { Authorization: "Bearer wrong" })).status,
    ).toBe(401);
    expect((await getJson(`${base(server)}/api/nothing`)).status).toBe(401);
    expect((await getJson(`${base(server)}/api/runs?token=${token}`)).status).toBe(200);
    expect(
      (await getJson(`${base(server)}/api/runs`, { Authorization: `Bearer ${token}` })).status,
    ).toBe(200);
    expect((await fetch(`${base(server)}/`)).status).toBe(503); // not 401

    await expect(connect(server)).rejects.toThrow(/unauthorized/);
    await expect(connect(server, { auth: { token: "wrong" } })).rejects.toThrow(/unauthorized/);
    const viewer = await connect(server, { auth: { token } });
    expect((await viewer.subscribe({ runId: RECORDED })).ok).toBe(true);
    await until(() => viewer.ended, "the replay");
    expectWholeLog(viewer, join(runsDir, RECORDED));
  });

  it("refuses browser requests from other sites", async () => {
    const server = await startServer({ runsDir, port: 0 });
    servers.push(server);
    expect(
      (await getJson(`${base(server)}/api/runs`, { Origin: "https://evil.example" })).status,
    ).toBe(403);
    expect(
      (await getJson(`${base(server)}/api/runs`, { Origin: `http://127.0.0.1:${server.port}` }))
        .status,
    ).toBe(200);
    expect(
      (await getJson(`${base(server)}/api/runs`, { Origin: "http://localhost:5173" })).status,
    ).toBe(200);
    await expect(
      connect(server, { extraHeaders: { Origin: "https://evil.example" } }),
    ).rejects.toThrow();
  });
});

describe("the CLI", () => {
  async function connectUrl(
    url: string,
    options: Partial<ManagerOptions & SocketOptions> = {},
  ): Promise<Viewer> {
    const socket = io(new URL(url).origin, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      ...options,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    return new Viewer(socket);
  }

  it("a server's URL printed before a test asks for it is still found (viewerUrlOf)", async () => {
    const proc = spawnCli(["serve", "--runs", runsDir, "--port", "0"]);
    children.push(proc);
    await until(() => proc.stderr().includes("viewer: "), "the viewer line", 20_000);
    // Asked only now, as a test that launches a browser first would: the line is in the past.
    expect(await viewerUrlOf(proc, 2_000)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    proc.child.kill("SIGINT");
    expect((await proc.done).code).toBe(0);
  });

  it("`agora serve --runs DIR` replays a recorded run's whole events.jsonl", async () => {
    const proc = spawnCli(["serve", "--runs", runsDir, "--port", "0", "--token", "tok"]);
    children.push(proc);
    const url = await viewerUrlOf(proc);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=tok$/);
    const runs = (await getJson(`${new URL(url).origin}/api/runs?token=tok`)).body as RunSummary[];
    expect(runs.map((r) => r.id)).toContain(RECORDED);
    const viewer = await connectUrl(url, { auth: { token: "tok" } });
    expect(await viewer.subscribe({ runId: RECORDED })).toEqual({
      ok: true,
      runId: RECORDED,
      live: false,
      status: "completed",
    });
    await until(() => viewer.ended, "the replay");
    expectWholeLog(viewer, join(runsDir, RECORDED));
    proc.child.kill("SIGINT");
    const exit = await proc.done;
    expect(exit.code).toBe(0);
  });

  it("`agora run --serve` streams the run, serves the runs beside it, and keeps serving after the end", async () => {
    const dir = join(runsDir, "cli-live");
    const proc = spawnCli([
      "run",
      shortConfigPath,
      "--out",
      dir,
      "--serve",
      "--port",
      "0",
      "--speed",
      "40",
    ]);
    children.push(proc);
    const url = await viewerUrlOf(proc);
    const viewer = await connectUrl(url);
    const ack = await viewer.subscribe({ runId: "cli-live" });
    expect(ack).toMatchObject({ ok: true, runId: "cli-live", live: true });
    await until(() => viewer.ended, "run-ended", 20_000);
    expectWholeLog(viewer, dir);
    const runs = (await getJson(`${new URL(url).origin}/api/runs`)).body as RunSummary[];
    expect(runs.find((r) => r.id === "cli-live")).toMatchObject({
      live: true,
      status: "completed",
      generation: 2,
    });
    expect(runs.find((r) => r.id === RECORDED)).toMatchObject({ live: false });
    await until(() => proc.stderr().includes("still serving"), "the still-serving line");
    proc.child.kill("SIGINT");
    const exit = await proc.done;
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain("still serving");
  });

  it("`agora run --serve --exit-when-done` exits with the run's code when it ends", async () => {
    const proc = spawnCli([
      "run",
      shortConfigPath,
      "--out",
      join(runsDir, "cli-exit"),
      "--serve",
      "--port",
      "0",
      "--exit-when-done",
    ]);
    children.push(proc);
    const exit = await proc.done;
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/viewer: http:\/\/127\.0\.0\.1:\d+\//);
    expect(exit.stdout).toContain("completed: 2 generation(s)");
  });

  it("server flags without --serve, and a missing --runs directory, are usage errors", async () => {
    const flags = spawnCli([
      "run",
      shortConfigPath,
      "--out",
      join(tmp.path, "unused"),
      "--port",
      "1234",
    ]);
    const runs = spawnCli(["serve", "--runs", join(tmp.path, "no-such-dir"), "--port", "0"]);
    children.push(flags, runs);
    const [flagsExit, runsExit] = await Promise.all([flags.done, runs.done]);
    expect(flagsExit.code).toBe(2);
    expect(flagsExit.stderr).toContain("--port needs --serve");
    expect(runsExit.code).toBe(2);
    expect(runsExit.stderr).toContain("is not a directory");
  });
});

/**
 * A live run paused after its first step, with a viewer subscribed and caught up on its history.
 */
async function subscribedAfterOneStep() {
  const { live, gate, server } = await startLive({ paused: true });
  gate.step();
  await until(() => gate.released === 1 && gate.waiting, "a first step");
  const viewer = await connect(server);
  expect((await viewer.subscribe({ runId: live.id })).ok).toBe(true);
  await until(() => viewer.lastSeq === live.nextSeq - 1, "the history");
  return { live, gate, server, viewer };
}
