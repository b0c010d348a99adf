/**
 * The live server under load: a 1,000-agent Donor Game on the complete graph (about 63,000 events
 * and 60 MB of events.jsonl at 5 generations, 27 MB of it the graph in `run-started`), on offline
 * policy minds, served to many socket.io clients while /api/runs is probed. It measures what
 * serving costs the engine and what the clients and the API get.
 *
 * npx tsx bench/serve-load.ts [--agents N] [--generations G] [--rounds R] [--clients C] [--late L]
 *                             [--late-every MS] [--probe-every MS] [--repeats K] [--light-clients]
 *                             [--clients-in process|bench] [--clients-nice N] [--profile DIR]
 *                             [--json]
 *   env: BENCH_SERVE_AGENTS (1000), BENCH_SERVE_GENERATIONS (5), BENCH_SERVE_ROUNDS (12),
 *        BENCH_SERVE_CLIENTS (50), BENCH_SERVE_LATE (25), BENCH_SERVE_LATE_EVERY_MS (200),
 *        BENCH_SERVE_PROBE_EVERY_MS (100), BENCH_SERVE_REPEATS (3), BENCH_SERVE_LIGHT (1: light),
 *        BENCH_SERVE_CLIENTS_IN (process), BENCH_SERVE_CLIENTS_NICE (19)
 *
 * Three phases per repetition, each engine in a child process of its own (this file with
 * `--child engine`), set up as `agora run` and `agora run --serve` set up theirs:
 *
 *   none      the engine alone (no server)
 *   serve-0   the engine with the server and its live run, no client
 *   serve-C   the same with C socket.io clients (websocket, as the viewer connects): C - L
 *             subscribe before the run starts, L join one every `late-every` ms from its start
 *             (each reads the history, 27 MB graph included, then follows live; on a busy machine
 *             the run may end first, which the figures say)
 *
 * The order alternates between repetitions (none, serve-0, serve-C, then serve-C, serve-0, none,
 * ...) so that a change in the machine's load falls on both sides. In the served phases a probe
 * process (`--child probe`) GETs /api/runs one request at a time, every `probe-every` ms, from the
 * run's start to its end, each with a 5 s timeout (a timeout is counted, not waited out).
 *
 * Engine wall time: startRun called -> resolved, in the engine process (the run's set-up, whose
 * graph statistics dominate, included); with, from Linux's schedstat, the engine thread's CPU and
 * the time it was ready to run but waited for a core, the server thread's CPU (the thread
 * startServer started; over the run, and until every client had caught up after it) and the CPU
 * of the process's other threads (V8's GC helpers, libuv's file reads). Per client: handshake
 * (connect to subscribe ack), lag (now minus the `at` of each batch's last event, one clock),
 * catch-up after the run's end, and whether it received every event exactly once in seq order
 * (checked as batches arrive, nothing kept). The clients parse what they receive like any
 * socket.io client; `--light-clients` has them read only each event's head (see lightParser). The
 * load average is printed per phase.
 *
 * Where the clients run. The viewers of a deployment are browsers on other machines: their CPU is
 * not the server's. Here they share its two cores, so by default (`--clients-in process`) they run
 * in a process of their own (`--child clients`) whose every thread is set to nice 19
 * (`--clients-nice`, setpriority per thread, as Linux's nice is per thread): they use the CPU the
 * engine and the server leave idle. Once the run has ended they are set back to nice 0 if the
 * user may do so (root), to catch up. `--clients-in bench` is the worst case: the clients in this
 * process at the engine's priority, competing with it for the cores. The clients' CPU is printed
 * either way.
 *
 * `--profile DIR` writes CPU profiles of each served engine process (--cpu-prof), one per thread
 * (the engine's, the server's, the loader's), in DIR/engine-PHASE-REPEAT/.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { cpus, loadavg, setPriority } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { io, type Socket as ClientSocket } from "socket.io-client";
import type { AgoraEvent } from "../sim/core/events.js";
import { startRun } from "../sim/app/run.js";
import { LiveRun, startServer } from "../sim/app/server/index.js";
import {
  BenchChild,
  distribution,
  type Distribution,
  hasFlag,
  isMain,
  mb,
  numberOption,
  policyMix,
  seconds,
  stringOption,
  tempDir,
  writeConfig,
} from "./common.js";

export interface ServeLoadOptions {
  agents: number;
  generations: number;
  rounds: number;
  clients: number;
  /** Of `clients`, how many join during the run. */
  late: number;
  lateEveryMs: number;
  probeEveryMs: number;
  repeats: number;
  /** Clients that scan the events' heads instead of parsing them (see lightParser). */
  lightClients: boolean;
  /** `process`: the clients in a child process of their own; `bench`: in this one. */
  clientsIn: "process" | "bench";
  /** The nice value of the clients' threads (0: the engine's priority). */
  clientsNice: number;
  profileDir?: string;
}

type Mode = "none" | "serve";

/** What an engine process reports. */
interface EngineFigures {
  status: string;
  events: number;
  /** startRun called -> resolved. */
  wallMs: number;
  /** startRun called -> run set up (graph and its statistics). */
  setupMs: number;
  /** CPU of the whole engine process (every thread) over the run. */
  cpuMs: number;
  /**
   * The engine's thread alone: its CPU, and the time it was ready to run but waited for a core
   * (Linux schedstat; NaN elsewhere). The server's thread and the rest: cpuMs - engineThreadCpuMs.
   */
  engineThreadCpuMs: number;
  engineThreadWaitMs: number;
  /** The server's thread: its CPU over the run (NaN without a server, or off Linux). */
  serverThreadCpuMs: number;
  /** The same until every client had caught up after the run (served phases). */
  serverThreadCpuToEndMs?: number;
  eventsBytes: number;
}

interface Schedule {
  cpuMs: number;
  waitMs: number;
}

/** A thread's run and run-queue wait times so far, in ms (Linux; NaN elsewhere). */
function threadSchedule(tid: number): Schedule {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    return { cpuMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    return { cpuMs: NaN, waitMs: NaN };
  }
}

/** The task ids of this process's threads (Linux; empty elsewhere). */
function threadIds(): number[] {
  try {
    return readdirSync("/proc/self/task").map(Number);
  } catch {
    return [];
  }
}

// The main thread's task id is the process id.
const mainThreadSchedule = (): Schedule => threadSchedule(process.pid);

export interface Probed {
  latency: Distribution;
  timeouts: number;
  errors: number;
}

export interface PhaseFigures {
  phase: string;
  repeat: number;
  clients: number;
  engine: EngineFigures;
  /** os.loadavg() at the start and at the end of the phase (1, 5, 15 minutes). */
  loadBefore: number[];
  loadAfter: number[];
  /** /api/runs over the run, served phases only. */
  api?: Probed;
  /** A new connection and subscribe (connect to ack) every 5 probe periods, served phases only. */
  handshakeProbe?: Probed;
  /** Served phase with clients only. */
  clientFigures?: {
    /** Clients that received every event exactly once, in order, up to run-ended. */
    complete: number;
    /** Late clients that joined before the run ended. */
    joinedDuringRun: number;
    /** Clients whose connection or subscription failed. */
    failed: number;
    /** Out-of-order or repeated events, over all clients. */
    disorder: number;
    handshake: Distribution;
    lateHandshake: Distribution;
    /** Per batch, over all clients. */
    lag: Distribution;
    /** Per client, its largest lag. */
    maxLagMs: number;
    /** Run end -> the last client's run-ended. */
    catchUpMs: number;
    cpuMs: number;
  };
}

export interface ServeLoadFigures {
  options: ServeLoadOptions;
  cores: number;
  phases: PhaseFigures[];
  /** Mean engine wall time per phase kind, and the served ones over `none`. */
  summary: Record<string, { wallMs: number; ratio: number }>;
}

// ---------------------------------------------------------------------------------------------
// Options

export function optionsFromArgv(argv: readonly string[]): ServeLoadOptions {
  const int = (name: string, env: string, fallback: number, min = 1) =>
    Math.max(min, Math.round(numberOption(argv, name, env, fallback)));
  const clients = int("clients", "BENCH_SERVE_CLIENTS", 50, 0);
  const profileDir = stringOption(argv, "profile");
  const clientsIn = stringOption(argv, "clients-in") ?? process.env.BENCH_SERVE_CLIENTS_IN;
  if (clientsIn !== undefined && clientsIn !== "process" && clientsIn !== "bench")
    throw new Error(
      `--clients-in / BENCH_SERVE_CLIENTS_IN: expected "process" or "bench", got "${clientsIn}"`,
    );
  const inBench = clientsIn === "bench";
  const clientsNice = numberOption(
    argv,
    "clients-nice",
    "BENCH_SERVE_CLIENTS_NICE",
    inBench ? 0 : 19,
  );
  if (!Number.isInteger(clientsNice) || clientsNice > 19)
    throw new Error(
      `--clients-nice / BENCH_SERVE_CLIENTS_NICE: expected an integer from 0 to 19, got ${clientsNice}`,
    );
  // A lower priority could not be undone in this process, and its children would inherit it.
  if (inBench && clientsNice !== 0)
    throw new Error(
      `--clients-nice / BENCH_SERVE_CLIENTS_NICE: the clients in the bench's process (--clients-in bench) run at its priority, got ${clientsNice}`,
    );
  return {
    agents: int("agents", "BENCH_SERVE_AGENTS", 1000),
    generations: int("generations", "BENCH_SERVE_GENERATIONS", 5),
    rounds: int("rounds", "BENCH_SERVE_ROUNDS", 12),
    clients,
    late: Math.min(clients, int("late", "BENCH_SERVE_LATE", 25, 0)),
    lateEveryMs: int("late-every", "BENCH_SERVE_LATE_EVERY_MS", 200, 0),
    probeEveryMs: int("probe-every", "BENCH_SERVE_PROBE_EVERY_MS", 100, 0),
    repeats: int("repeats", "BENCH_SERVE_REPEATS", 3),
    lightClients: hasFlag(argv, "light-clients") || process.env.BENCH_SERVE_LIGHT === "1",
    clientsIn: clientsIn ?? "process",
    clientsNice,
    ...(profileDir ? { profileDir } : {}),
  };
}

function benchConfig(dir: string, o: ServeLoadOptions): string {
  return writeConfig(dir, "serve-load.yaml", {
    scenario: "donor-game",
    seed: 1,
    generations: o.generations,
    population: { size: o.agents, minds: policyMix(o.agents) },
    graph: { type: "complete" },
    cache: { mode: "off", dir: join(dir, "cache") },
    donorGame: { rounds: o.rounds },
  });
}

// ---------------------------------------------------------------------------------------------
// Children: JSON lines on stdout, orders on stdin

type ChildMessage =
  | { kind: "ready"; url: string | null }
  | { kind: "probe-ready" }
  | { kind: "started" }
  | { kind: "done"; figures: EngineFigures }
  | { kind: "served"; serverThreadCpuMs: number }
  | { kind: "probe"; api: ProbeFigures; handshake: ProbeFigures }
  | { kind: "clients-ready" }
  | { kind: "clients"; outcome: ClientOutcome };

const say = (message: ChildMessage): void =>
  void process.stdout.write(`${JSON.stringify(message)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves at the line `word` on stdin (or when stdin closes). */
function stdinLines(): (word: string) => Promise<void> {
  const seen: string[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  const lines = createInterface({ input: process.stdin });
  const wake = () => waiters.splice(0).forEach((w) => w());
  lines.on("line", (line) => (seen.push(line.trim()), wake()));
  lines.on("close", () => ((closed = true), wake()));
  return async (word) => {
    while (!seen.includes(word) && !closed) await new Promise<void>((r) => waiters.push(r));
  };
}

async function engineChild(argv: readonly string[]): Promise<void> {
  const mode = stringOption(argv, "mode") as Mode;
  const configPath = stringOption(argv, "config")!;
  const out = stringOption(argv, "out")!;
  const until = stdinLines();
  // As `agora run --serve` does: the live run, and the runs beside it in the picker.
  const live = mode === "serve" ? new LiveRun({ dir: out, scenario: "donor-game" }) : undefined;
  const threadsBefore = new Set(threadIds());
  const server = live
    ? await startServer({ live, runsDir: dirname(out), port: 0, staticDir: "/nonexistent" })
    : undefined;
  // The server's thread is among those startServer started (Node does not name its threads).
  const serverThreads = server ? threadIds().filter((tid) => !threadsBefore.has(tid)) : [];
  say({ kind: "ready", url: server ? `http://127.0.0.1:${server.port}` : null });
  await until("go");
  let events = 0;
  let setupMs = 0;
  const cpu0 = process.cpuUsage();
  const schedule0 = mainThreadSchedule();
  const serverCpu0 = new Map(serverThreads.map((tid) => [tid, threadSchedule(tid).cpuMs]));
  const t0 = performance.now();
  const result = await startRun(configPath, {
    out,
    onStart: (handle) => {
      setupMs = performance.now() - t0;
      live?.onStart(handle);
      say({ kind: "started" });
    },
    hooks: live
      ? {
          ...live.hooks,
          onEvents: (batch) => {
            events += batch.length;
            live.hooks.onEvents(batch);
          },
        }
      : { onEvents: (batch) => void (events += batch.length) },
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const schedule = mainThreadSchedule();
  // The busiest of them is the server's (the others, if any, are libuv's or V8's helpers).
  const serverCpu = () =>
    Math.max(...serverThreads.map((tid) => threadSchedule(tid).cpuMs - serverCpu0.get(tid)!));
  const serverThreadCpuMs = serverCpu();
  live?.finish({ status: result.status });
  say({
    kind: "done",
    figures: {
      status: result.status,
      events,
      wallMs,
      setupMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      engineThreadCpuMs: schedule.cpuMs - schedule0.cpuMs,
      engineThreadWaitMs: schedule.waitMs - schedule0.waitMs,
      serverThreadCpuMs: serverThreads.length > 0 ? serverThreadCpuMs : NaN,
      eventsBytes: statSync(join(out, "events.jsonl")).size,
    },
  });
  if (server) {
    await until("exit");
    // Once every client has caught up: what serving cost, the clients' catch-up included.
    say({ kind: "served", serverThreadCpuMs: serverThreads.length > 0 ? serverCpu() : NaN });
    await server.close();
  }
}

/** A probe's measurements: latencies of the answers, and the requests that failed. */
interface ProbeFigures {
  latencies: number[];
  timeouts: number;
  errors: number;
}

/** Runs `request` one at a time, every `every` ms, until `stopped()`; a throw is a failure. */
async function probeLoop(
  every: number,
  stopped: () => boolean,
  request: () => Promise<void>,
): Promise<ProbeFigures> {
  const figures: ProbeFigures = { latencies: [], timeouts: 0, errors: 0 };
  while (!stopped()) {
    const t0 = performance.now();
    try {
      await request();
      figures.latencies.push(performance.now() - t0);
    } catch (error) {
      if ((error as Error).name === "TimeoutError" || (error as Error).message === "timeout")
        figures.timeouts++;
      else figures.errors++;
    }
    await sleep(Math.max(0, every - (performance.now() - t0)));
  }
  return figures;
}

/**
 * GETs /api/runs, and opens a new socket.io connection and subscribes to the run (then closes it),
 * each one at a time until told to stop: the server's answers, measured from a process that does
 * nothing else.
 */
async function probeChild(argv: readonly string[]): Promise<void> {
  const base = stringOption(argv, "url")!;
  const runId = stringOption(argv, "run")!;
  const every = numberOption(argv, "every", "", 100);
  const until = stdinLines();
  let stop = false;
  void until("stop").then(() => (stop = true));
  const api = async () => {
    const res = await fetch(`${base}/api/runs`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  };
  // socket.io's own connect timeout (20 s) is the viewer's: a slower handshake fails there.
  const handshake = async () => {
    const socket = io(base, { transports: ["websocket"], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      });
      const ack = (await socket.timeout(20_000).emitWithAck("subscribe", { runId })) as {
        ok: boolean;
      };
      if (!ack.ok) throw new Error("subscribe refused");
    } finally {
      socket.disconnect();
    }
  };
  // A first request of each (not counted) so that the loops start warm, then the run's start.
  await api();
  await handshake();
  say({ kind: "probe-ready" });
  await until("go");
  const [apiFigures, handshakeFigures] = await Promise.all([
    probeLoop(every, () => stop, api),
    probeLoop(every * 5, () => stop, handshake),
  ]);
  say({ kind: "probe", api: apiFigures, handshake: handshakeFigures });
}

// ---------------------------------------------------------------------------------------------
// Parent

const THIS_FILE = fileURLToPath(import.meta.url);

/** What a light client reads of an `events` batch. */
interface BatchOutline {
  seqs: number[];
  types: string[];
  /** The `at` of the last event. */
  lastAt: string;
}

const OUTLINE = /\{"v":\d+,"seq":(\d+),"type":"([^"]+)"/g;

/**
 * A socket.io-client parser (`--light-clients`) that reads each `events` message by scanning the
 * head of every event (`{"v":1,"seq":N,"type":"T"`) instead of parsing the JSON: the same bytes
 * over the same connections, checked for order and completeness, for a fraction of the CPU. Other
 * packets (connect, acks, run-state) are read in full. Socket.io's wire format:
 * type digit, ack id digits, JSON payload (default namespace).
 */
const lightParser = {
  Encoder: class {
    encode(packet: { type: number; id?: number; data?: unknown }): string[] {
      return [
        `${packet.type}${packet.id ?? ""}${packet.data === undefined ? "" : JSON.stringify(packet.data)}`,
      ];
    }
  },
  Decoder: class {
    private listener: ((packet: unknown) => void) | undefined;
    on(_event: "decoded", listener: (packet: unknown) => void): void {
      this.listener = listener;
    }
    off(): void {
      this.listener = undefined;
    }
    destroy(): void {}
    add(text: string): void {
      if (text.startsWith('2["events",')) {
        const outline: BatchOutline = { seqs: [], types: [], lastAt: "" };
        for (const match of text.matchAll(OUTLINE)) {
          outline.seqs.push(Number(match[1]));
          outline.types.push(match[2]!);
        }
        const at = text.lastIndexOf('"at":"');
        outline.lastAt = text.slice(at + 6, text.indexOf('"', at + 6));
        return this.listener?.({ type: 2, nsp: "/", data: ["events", outline] });
      }
      let i = 1;
      while (i < text.length && text[i]! >= "0" && text[i]! <= "9") i++;
      this.listener?.({
        type: Number(text[0]),
        nsp: "/",
        ...(i > 1 ? { id: Number(text.slice(1, i)) } : {}),
        ...(i < text.length ? { data: JSON.parse(text.slice(i)) } : {}),
      });
    }
  },
};

/** One bench client: checks order and completeness as batches arrive, keeps only figures. */
class LoadClient {
  next = 0;
  disorder = 0;
  ended = false;
  endedAt = 0;
  handshakeMs = NaN;
  /** Why the connection or the subscription failed, if it did. */
  failure: string | undefined;
  maxLagMs = 0;
  readonly socket: ClientSocket;

  constructor(
    url: string,
    private readonly lags: number[],
    light: boolean,
  ) {
    // A long connect timeout: a slow handshake is measured, not turned into a failure at 20 s.
    this.socket = io(url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: 600_000,
      ...(light ? { parser: lightParser } : {}),
    });
    this.socket.on("disconnect", (reason) => {
      if (!this.ended) this.failure ??= `disconnected (${reason})`;
    });
    this.socket.on("events", (batch: AgoraEvent[] | BatchOutline) => {
      const outline = Array.isArray(batch)
        ? {
            seqs: batch.map((e) => e.seq),
            types: batch.map((e) => e.type),
            lastAt: batch.at(-1)?.at ?? "",
          }
        : batch;
      outline.seqs.forEach((seq, i) => {
        if (seq !== this.next) this.disorder++;
        this.next = seq + 1;
        if (outline.types[i] === "run-ended") {
          this.ended = true;
          this.endedAt = Date.now();
        }
      });
      if (outline.seqs.length === 0) return;
      const lag = Date.now() - Date.parse(outline.lastAt);
      this.lags.push(lag);
      this.maxLagMs = Math.max(this.maxLagMs, lag);
    });
  }

  async subscribe(runId: string): Promise<void> {
    const t0 = performance.now();
    if (!this.socket.connected)
      await new Promise<void>((resolve, reject) => {
        this.socket.once("connect", () => resolve());
        this.socket.once("connect_error", reject);
      });
    const ack = (await this.socket.timeout(120_000).emitWithAck("subscribe", { runId })) as {
      ok: boolean;
      error?: string;
    };
    if (!ack.ok) throw new Error(`subscribe refused: ${ack.error}`);
    this.handshakeMs = performance.now() - t0;
  }
}

const load = () => loadavg().map((v) => Number(v.toFixed(2)));

/** Who the clients are and what they do (see ClientGroup). */
interface ClientPlan {
  url: string;
  runId: string;
  /** Clients that subscribe before the run starts. */
  early: number;
  /** Clients that join during the run, one every `lateEveryMs`. */
  late: number;
  lateEveryMs: number;
  light: boolean;
}

/** What the clients report once every one has `run-ended` or failed. */
interface ClientOutcome {
  complete: number;
  failed: number;
  disorder: number;
  handshake: Distribution;
  lateHandshake: Distribution;
  lag: Distribution;
  maxLagMs: number;
  /** Date.now() when each late client was created, and when the last client had run-ended. */
  lateJoinedAt: number[];
  lastEndedAt: number;
  allEnded: boolean;
  /** CPU of the clients' process (every thread) from the first client's creation. */
  cpuMs: number;
}

/** The bench's clients, wherever they run: early ones, late joiners, and their figures. */
class ClientGroup {
  private readonly sockets: LoadClient[] = [];
  private readonly lags: number[] = [];
  private readonly lateJoinedAt: number[] = [];
  private readonly joins: Promise<void>[] = [];
  private readonly cpu0 = process.cpuUsage();

  constructor(private readonly plan: ClientPlan) {}

  async subscribeEarly(): Promise<void> {
    const { url, runId, early, light } = this.plan;
    for (let i = 0; i < early; i++) this.sockets.push(new LoadClient(url, this.lags, light));
    await Promise.all(this.sockets.map((c) => c.subscribe(runId)));
  }

  /** Every late client joins, on schedule (the run may end first, on a busy machine). */
  async joinLate(): Promise<void> {
    const { url, runId, late, lateEveryMs, light } = this.plan;
    for (let i = 0; i < late; i++) {
      const client = new LoadClient(url, this.lags, light);
      this.lateJoinedAt.push(Date.now());
      this.sockets.push(client);
      this.joins.push(
        client.subscribe(runId).catch((e: Error) => void (client.failure = e.message)),
      );
      await sleep(lateEveryMs);
    }
  }

  /** Waits until every client has run-ended or failed; `events`: the run's event count. */
  async outcome(events: number): Promise<ClientOutcome> {
    await Promise.all(this.joins);
    const deadline = Date.now() + 600_000;
    const settled = () => this.sockets.every((c) => c.ended || c.failure !== undefined);
    while (!settled() && Date.now() < deadline) await sleep(50);
    const cpu = process.cpuUsage(this.cpu0);
    const early = this.plan.early;
    return {
      complete: this.sockets.filter((c) => c.ended && c.disorder === 0 && c.next === events).length,
      failed: this.sockets.filter((c) => c.failure !== undefined).length,
      disorder: this.sockets.reduce((sum, c) => sum + c.disorder, 0),
      handshake: distribution(this.sockets.slice(0, early).map((c) => c.handshakeMs)),
      lateHandshake: distribution(this.sockets.slice(early).map((c) => c.handshakeMs)),
      lag: distribution(this.lags),
      maxLagMs: Math.max(...this.sockets.map((c) => c.maxLagMs)),
      lateJoinedAt: this.lateJoinedAt,
      lastEndedAt: Math.max(...this.sockets.map((c) => c.endedAt)),
      allEnded: this.sockets.every((c) => c.ended),
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  }

  close(): void {
    for (const c of this.sockets) c.socket.disconnect();
  }
}

/**
 * Sets every thread of this process to `nice` (Linux's nice is per thread; threads started later
 * inherit it from the one that starts them).
 */
function renice(nice: number): void {
  const tids = threadIds();
  for (const tid of tids) {
    try {
      setPriority(tid, nice);
    } catch {
      // The thread has ended since the listing.
    }
  }
  if (tids.length === 0) setPriority(nice);
}

/**
 * The clients in a process of their own (`--clients-in process`), at a lower priority: "go" when
 * the run has started (the late ones join), then "end EVENTS" when it has ended.
 */
async function clientsChild(argv: readonly string[]): Promise<void> {
  const plan = JSON.parse(stringOption(argv, "plan")!) as ClientPlan;
  const nice = numberOption(argv, "nice", "", 19);
  renice(nice);
  const lines = createInterface({ input: process.stdin });
  const orders: string[] = [];
  const waiters: (() => void)[] = [];
  lines.on("line", (line) => (orders.push(line.trim()), waiters.splice(0).forEach((w) => w())));
  const order = async (word: string): Promise<string> => {
    for (;;) {
      const found = orders.find((o) => o.split(" ")[0] === word);
      if (found) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const group = new ClientGroup(plan);
  await group.subscribeEarly();
  // Again: the threads started since (libuv's for DNS and files, if any) are set too.
  renice(nice);
  say({ kind: "clients-ready" });
  await order("go");
  await group.joinLate();
  const events = Number((await order("end")).split(" ")[1]);
  // The engine is done: the clients catch up at the usual priority if allowed (root, or
  // CAP_SYS_NICE), rather than wait for idle CPU on a busy machine.
  renice(0);
  say({ kind: "clients", outcome: await group.outcome(events) });
  group.close();
}

async function phase(
  o: ServeLoadOptions,
  configPath: string,
  out: string,
  clients: number | null,
  repeat: number,
): Promise<PhaseFigures> {
  const name = clients === null ? "none" : `serve-${clients}`;
  const loadBefore = load();
  // With --profile: CPU profiles of every thread of the engine process.
  const profileDir =
    o.profileDir && clients !== null ? join(o.profileDir, `engine-${name}-${repeat}`) : undefined;
  const engine = new BenchChild<ChildMessage>(
    THIS_FILE,
    [
      "--child",
      "engine",
      "--mode",
      clients === null ? "none" : "serve",
      "--config",
      configPath,
      "--out",
      out,
    ],
    "the engine process",
    profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  );
  let probe: BenchChild<ChildMessage> | undefined;
  let clientsProcess: BenchChild<ChildMessage> | undefined;
  let group: ClientGroup | undefined;
  try {
    const { url } = await engine.next("ready", 120_000);
    const runId = out.split("/").at(-1)!;
    const early = clients === null ? 0 : clients - Math.min(o.late, clients);
    const plan: ClientPlan | undefined =
      clients !== null && clients > 0
        ? {
            url: url!,
            runId,
            early,
            late: clients - early,
            lateEveryMs: o.lateEveryMs,
            light: o.lightClients,
          }
        : undefined;
    if (plan && o.clientsIn === "process") {
      clientsProcess = new BenchChild<ChildMessage>(
        THIS_FILE,
        ["--child", "clients", "--plan", JSON.stringify(plan), "--nice", String(o.clientsNice)],
        "the clients' process",
      );
      await clientsProcess.next("clients-ready");
    } else if (plan) {
      group = new ClientGroup(plan);
      await group.subscribeEarly();
    }
    if (url) {
      probe = new BenchChild<ChildMessage>(
        THIS_FILE,
        ["--child", "probe", "--url", url, "--run", runId, "--every", String(o.probeEveryMs)],
        "the probe process",
      );
      await probe.next("probe-ready", 120_000);
      probe.send("go");
    }
    engine.send("go");
    await engine.next("started");
    let endedAt = 0;
    const done = engine.next("done").then((d) => ((endedAt = Date.now()), d));
    clientsProcess?.send("go");
    await group?.joinLate();
    const { figures } = await done;
    let api: PhaseFigures["api"];
    let handshakeProbe: PhaseFigures["handshakeProbe"];
    if (probe) {
      probe.send("stop");
      const p = await probe.next("probe");
      await probe.finish();
      probe = undefined;
      const probed = (f: ProbeFigures) => ({
        latency: distribution(f.latencies),
        timeouts: f.timeouts,
        errors: f.errors,
      });
      api = probed(p.api);
      handshakeProbe = probed(p.handshake);
    }
    let outcome: ClientOutcome | undefined;
    if (clientsProcess) {
      clientsProcess.send(`end ${figures.events}`);
      outcome = (await clientsProcess.next("clients")).outcome;
      await clientsProcess.finish();
      clientsProcess = undefined;
    } else if (group) {
      outcome = await group.outcome(figures.events);
      group.close();
      group = undefined;
    }
    const clientFigures: PhaseFigures["clientFigures"] = outcome && {
      complete: outcome.complete,
      joinedDuringRun: outcome.lateJoinedAt.filter((at) => at < endedAt).length,
      failed: outcome.failed,
      disorder: outcome.disorder,
      handshake: outcome.handshake,
      lateHandshake: outcome.lateHandshake,
      lag: outcome.lag,
      maxLagMs: outcome.maxLagMs,
      catchUpMs: outcome.allEnded ? Math.max(0, outcome.lastEndedAt - endedAt) : NaN,
      cpuMs: outcome.cpuMs,
    };
    await engine.finish(clients === null ? undefined : "exit");
    if (clients !== null)
      figures.serverThreadCpuToEndMs = (await engine.next("served")).serverThreadCpuMs;
    return {
      phase: name,
      repeat,
      clients: clients ?? 0,
      engine: figures,
      loadBefore,
      loadAfter: load(),
      ...(api ? { api } : {}),
      ...(handshakeProbe ? { handshakeProbe } : {}),
      ...(clientFigures ? { clientFigures } : {}),
    };
  } catch (error) {
    group?.close();
    await clientsProcess?.kill();
    await probe?.kill();
    await engine.kill();
    throw error;
  }
}

export async function measure(o: ServeLoadOptions): Promise<ServeLoadFigures> {
  const tmp = tempDir("agora-serve-load-");
  try {
    const configPath = benchConfig(tmp.dir, o);
    const kinds: (number | null)[] = [null, 0, o.clients];
    const phases: PhaseFigures[] = [];
    for (let repeat = 1; repeat <= o.repeats; repeat++) {
      const order = repeat % 2 === 1 ? kinds : [...kinds].reverse();
      for (const clients of order) {
        const name = clients === null ? "none" : `serve-${clients}`;
        const figures = await phase(
          o,
          configPath,
          join(tmp.dir, "runs", `${name}-${repeat}`),
          clients,
          repeat,
        );
        process.stderr.write(`${line(figures)}\n`);
        phases.push(figures);
      }
    }
    const mean = (name: string) => {
      const walls = phases.filter((p) => p.phase === name).map((p) => p.engine.wallMs);
      return walls.reduce((a, b) => a + b, 0) / walls.length;
    };
    const base = mean("none");
    const summary = Object.fromEntries(
      [...new Set(phases.map((p) => p.phase))].map((name) => [
        name,
        { wallMs: mean(name), ratio: mean(name) / base },
      ]),
    );
    return { options: o, cores: cpus().length, phases, summary };
  } finally {
    tmp.remove();
  }
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : "-");

/** One phase as a line of text. */
function line(p: PhaseFigures): string {
  const e = p.engine;
  const parts = [
    `#${p.repeat} ${p.phase.padEnd(9)} engine ${seconds(e.wallMs)} s (set-up ${seconds(e.setupMs)} s; engine thread CPU ${seconds(e.engineThreadCpuMs)} s, waiting for a core ${seconds(e.engineThreadWaitMs)} s; server thread CPU ${Number.isFinite(e.serverThreadCpuMs) ? seconds(e.serverThreadCpuMs) : "-"} s (${e.serverThreadCpuToEndMs !== undefined && Number.isFinite(e.serverThreadCpuToEndMs) ? seconds(e.serverThreadCpuToEndMs) : "-"} s until the clients caught up); other threads CPU ${seconds(e.cpuMs - e.engineThreadCpuMs - (Number.isFinite(e.serverThreadCpuMs) ? e.serverThreadCpuMs : 0))} s)`,
    `${e.events} events, ${mb(e.eventsBytes)} MB`,
    `load ${p.loadBefore[0]} -> ${p.loadAfter[0]}`,
  ];
  const probed = (what: string, f: Probed) =>
    `${what} p50 ${ms(f.latency.median)} p95 ${ms(f.latency.p95)} max ${ms(f.latency.max)} (${f.latency.n} ok, ${f.timeouts} timeouts, ${f.errors} errors)`;
  if (p.api) parts.push(probed("/api/runs", p.api));
  if (p.handshakeProbe) parts.push(probed("new handshake", p.handshakeProbe));
  const c = p.clientFigures;
  if (c)
    parts.push(
      `clients complete ${c.complete}/${p.clients} (${c.joinedDuringRun} late joined during the run, failed ${c.failed}, disorder ${c.disorder}), handshake p95 ${ms(c.handshake.p95)} / late ${ms(c.lateHandshake.p95)} max ${ms(c.lateHandshake.max)}, lag p50 ${ms(c.lag.median)} p95 ${ms(c.lag.p95)} max ${ms(c.maxLagMs)}, catch-up ${ms(c.catchUpMs)}, client CPU ${seconds(c.cpuMs)} s`,
    );
  return parts.join("; ");
}

export function report(f: ServeLoadFigures): string {
  const o = f.options;
  const rows = [
    `Live server under load: ${o.agents} policy agents, complete graph, ${o.generations} generations x 2 games x ${o.rounds} rounds; ${o.clients} ${o.lightClients ? "light " : ""}clients (${o.late} joining from the run's start, one per ${o.lateEveryMs} ms) ${o.clientsIn === "process" ? `in a process of their own at nice ${o.clientsNice}` : "in the bench's process at its priority"}; ${f.cores} cores`,
    ...f.phases.map(line),
    "",
    "mean engine wall time (ratio to none):",
    ...Object.entries(f.summary).map(
      ([name, s]) => `  ${name.padEnd(9)} ${seconds(s.wallMs)} s (${s.ratio.toFixed(2)}x)`,
    ),
  ];
  return rows.join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const child = stringOption(argv, "child");
  if (child === "engine") return engineChild(argv);
  if (child === "probe") return probeChild(argv);
  if (child === "clients") return clientsChild(argv);
  const figures = await measure(optionsFromArgv(argv));
  process.stdout.write(
    hasFlag(argv, "json") ? `${JSON.stringify(figures)}\n` : `${report(figures)}\n`,
  );
}

if (isMain(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
