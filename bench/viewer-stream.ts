/**
 * Viewer stream benchmark: a 1,000-agent Donor Game on a Barabási–Albert graph, on offline policy
 * minds, streamed live into the browser viewer in headless Chromium. It measures what the viewer
 * sees (frames per second, lag from emit to the store) and what the viewer costs the engine
 * (throughput with the viewer attached over throughput without it).
 *
 * npx tsx bench/viewer-stream.ts [--agents N] [--generations G] [--rounds R] [--m M] [--rate
 * EVENTS_PER_S]
 *                                  [--baseline-runs N] [--static DIR] [--profile DIR] [--json]
 *   env: BENCH_VIEWER_AGENTS (1000), BENCH_VIEWER_GENERATIONS (100), BENCH_VIEWER_ROUNDS (12),
 * BENCH_VIEWER_M (2), BENCH_VIEWER_RATE (6000; 0 = no paced stream), BENCH_VIEWER_BASELINES (2),
 *        BENCH_VIEWER_STATIC (viewer/dist: a viewer build to serve, to measure a change),
 *        BENCH_CHROMIUM (/usr/bin/chromium), BENCH_CHROMIUM_ARGS (extra Chromium flags)
 *
 * Needs the built viewer (`npm run build:viewer`) and Chromium. Every engine runs in a child
 * process
 * of this script (the same file with `--child MODE`), one process per phase, so all phases have the
 * same process set-up; the browser is driven from this process and is only running during the
 * phases that use it:
 *
 *   none     the engine alone (as `agora run` without --serve)
 * server   the engine with the server and its live run, no client (as `agora run --serve`, nobody
 * looking)
 *   viewer   the same with the viewer open in Chromium, subscribed before the run starts
 * paced    the events of a `none` run re-emitted (fresh `at`, written to events.jsonl first, as the
 *            recorder does) through a live run at a fixed rate, into the viewer: the engine alone
 *            does not reach 5,000 events/s on a sparse graph (see bench/README.md), the viewer's
 *            figures at that rate come from here.
 *
 * Baselines alternate around the viewer phases (none, server, ..., viewer, paced, ..., server,
 * none)
 * and are averaged. In the page an init script counts animation frames, times each WebSocket
 * `events` message, each Timeline.append (the reducer) and each store update, and samples
 * `stats.lastApplyLagMs` every frame; lags are now minus the `at` of the batch's last event (one
 * clock: the browser and the engine run on the same machine).
 *
 * Frames per second depend on the share of the cores Chromium gets, so the report also gives
 * Chromium's CPU (all its processes, from /proc) per animation frame, which a loaded machine
 * changes far less, and the load average at the start and the end.
 *
 * `--profile DIR` writes CPU profiles of the engine process of the viewer and paced phases
 * (--cpu-prof) and of the page's main thread (CDP Profiler), as .cpuprofile files, and a Chrome
 * trace of the page (layout, paint, GPU) as page-MODE.trace.json.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { Socket } from "socket.io";
import type { AgoraEvent, EventOf } from "../sim/core/events.js";
import { recordedEdgeCount } from "../sim/core/graph/compact.js";
import { startRun, type RunHandle } from "../sim/app/run.js";
import { LiveRun, startServer, VIEWER_DIST } from "../sim/app/server/index.js";
import {
  BenchChild,
  distribution,
  type Distribution,
  hasFlag,
  isMain,
  numberOption,
  policyMix,
  seconds,
  stringOption,
  tempDir,
  writeConfig,
} from "./common.js";

export interface ViewerStreamOptions {
  agents: number;
  generations: number;
  rounds: number;
  /** Barabási–Albert attachment count. */
  m: number;
  /** Paced stream rate in events/s (0: no paced phase). */
  pacedRate: number;
  /** Runs of each baseline (none, server), alternating before and after the viewer phases. */
  baselineRuns: number;
  chromium: string;
  /** Extra Chromium flags (BENCH_CHROMIUM_ARGS, space-separated). */
  chromiumArgs: string[];
  profileDir?: string;
  /** A viewer build to serve instead of viewer/dist (to measure a change). */
  staticDir?: string;
}

type Mode = "none" | "server" | "viewer" | "paced";

/** What an engine child reports. */
export interface EngineFigures {
  mode: Mode;
  status: string;
  events: number;
  decisions: number;
  /** startRun called -> run set up. */
  setupMs: number;
  /** Run set up -> last event emitted (the stream's duration). */
  streamMs: number;
  eventsPerSecond: number;
  decisionsPerSecond: number;
  /** Epoch ms: the streaming window. */
  startEpochMs: number;
  endEpochMs: number;
  /** User + system CPU of the engine process over the stream. */
  cpuMs: number;
  /** socket.io `events` emits (encoding + handing to the connection), server modes only. */
  emits: number;
  emitMs: number;
  emitMaxMs: number;
  /**
   * now - at of the last event of each `events` emit: how long events wait in the engine process.
   */
  emitLag: Distribution;
  /**
   * Times a client fell more than maxBufferedEvents behind and was switched to catch-up from the
   * log.
   */
  overflows: number;
}

/** What the page saw over one streamed run. */
export interface PageFigures {
  /** Animation frames per second over the streaming window (and before the run, idle). */
  fps: number;
  idleFps: number;
  frames: number;
  /** Frame intervals over the window: p95 and longest, and how many exceeded 50 / 100 ms. */
  frameIntervalP95Ms: number;
  longestFrameMs: number;
  framesOver50Ms: number;
  framesOver100Ms: number;
  /** Share of the window the main thread spent in long tasks (> 50 ms). */
  longTaskShare: number;
  /** now - at of the message's last event when its WebSocket message is handled. */
  receiveLag: Distribution;
  /** ... when the batch holding it is reduced into the timeline head (Timeline.append). */
  applyLag: Distribution;
  /** ... when the store is updated with it (what the panels render): the headline figure. */
  storeLag: Distribution;
  /** ... at the next animation frame after that store update (React has rendered by then). */
  nextFrameLag: Distribution;
  /** stats.lastApplyLagMs sampled every animation frame over the window. */
  sampledLag: Distribution;
  messages: number;
  /** Mean WebSocket `events` message size and received MB/s over the window. */
  meanMessageBytes: number;
  receivedMBps: number;
  batchesApplied: number;
  /** Mean and total reducer (Timeline.append) time. */
  meanApplyMs: number;
  applyShare: number;
  storeUpdatesPerSecond: number;
  eventsApplied: number;
  /** Run end (last emit) -> last event applied in the page. */
  drainMs: number;
  gaps: number;
  duplicatesDropped: number;
  pageErrors: string[];
  /** Console "GL Driver Message" warnings (software WebGL stalls). */
  webglWarnings: number;
  /** Chromium CPU over the window, per process type, in seconds. */
  browserCpuS: Record<string, number>;
  /**
   * Chromium CPU (all processes) per animation frame over the window, in ms: what a frame costs,
   * whatever share of the cores the page got (on a loaded machine fps mostly measures that share).
   */
  browserCpuMsPerFrame: number;
}

export interface StreamPhase {
  engine: EngineFigures;
  page: PageFigures;
}

export interface ViewerStreamFigures {
  agents: number;
  generations: number;
  rounds: number;
  m: number;
  edges: number;
  pacedRate: number;
  baselines: { none: EngineFigures[]; server: EngineFigures[] };
  noneEventsPerSecond: number;
  serverEventsPerSecond: number;
  viewer: StreamPhase;
  /**
   * Engine events/s with the viewer over events/s without a server, and over a server without a
   * client.
   */
  ratioVsNone: number;
  ratioVsServer: number;
  /**
   * Engine CPU per event without a server over the same with the viewer: below 1 by the work the
   * server adds.
   */
  cpuRatio: number;
  paced: StreamPhase | null;
  cores: number;
  /** os.loadavg() (1, 5, 15 minutes) when the benchmark started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
}

// ---------------------------------------------------------------------------------------------
// Options and config

export function optionsFromArgv(argv: readonly string[]): ViewerStreamOptions {
  const int = (name: string, env: string, fallback: number, min = 1) =>
    Math.max(min, Math.round(numberOption(argv, name, env, fallback)));
  const profileDir = stringOption(argv, "profile");
  const staticDir = stringOption(argv, "static") ?? process.env.BENCH_VIEWER_STATIC;
  return {
    agents: int("agents", "BENCH_VIEWER_AGENTS", 1000),
    generations: int("generations", "BENCH_VIEWER_GENERATIONS", 100),
    rounds: int("rounds", "BENCH_VIEWER_ROUNDS", 12),
    m: int("m", "BENCH_VIEWER_M", 2),
    pacedRate: int("rate", "BENCH_VIEWER_RATE", 6000, 0),
    baselineRuns: int("baseline-runs", "BENCH_VIEWER_BASELINES", 2),
    chromium: process.env.BENCH_CHROMIUM ?? "/usr/bin/chromium",
    chromiumArgs: (process.env.BENCH_CHROMIUM_ARGS ?? "").split(/\s+/).filter((a) => a !== ""),
    ...(profileDir ? { profileDir } : {}),
    ...(staticDir ? { staticDir: resolve(staticDir) } : {}),
  };
}

function benchConfig(dir: string, o: ViewerStreamOptions): string {
  return writeConfig(dir, "viewer-stream.yaml", {
    scenario: "donor-game",
    seed: 1,
    generations: o.generations,
    population: { size: o.agents, minds: policyMix(o.agents) },
    graph: { type: "barabasi-albert", m: o.m },
    cache: { mode: "off", dir: join(dir, "cache") },
    donorGame: { rounds: o.rounds },
  });
}

// ---------------------------------------------------------------------------------------------
// Engine child (`--child MODE`): one run, figures as JSON lines on stdout

type ChildMessage =
  | { kind: "ready"; url: string }
  | { kind: "started"; at: number }
  | { kind: "done"; figures: EngineFigures };

const say = (message: ChildMessage): void =>
  void process.stdout.write(`${JSON.stringify(message)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Times socket.io `events` emits: encoding (JSON) and the write to the connection happen inside.
 */
function timeEmits() {
  const acc = { emits: 0, emitMs: 0, emitMaxMs: 0, lags: [] as number[] };
  const proto = Socket.prototype as unknown as {
    emit: (this: unknown, ...args: unknown[]) => boolean;
  };
  const emit = proto.emit;
  proto.emit = function (this: unknown, ...args: unknown[]) {
    if (args[0] !== "events") return emit.apply(this, args);
    const last = (args[1] as AgoraEvent[]).at(-1);
    if (last) acc.lags.push(Date.now() - Date.parse(last.at));
    const t0 = performance.now();
    try {
      return emit.apply(this, args);
    } finally {
      const ms = performance.now() - t0;
      acc.emits++;
      acc.emitMs += ms;
      acc.emitMaxMs = Math.max(acc.emitMaxMs, ms);
    }
  };
  return acc;
}

/** Resolves when stdin closes or says "exit" (the parent has read what it needed). */
function untilParentSaysExit(): Promise<void> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on("line", (line) => line.trim() === "exit" && resolve());
    lines.on("close", resolve);
  });
}

async function runChild(argv: readonly string[]): Promise<void> {
  const mode = stringOption(argv, "child") as Mode;
  const configPath = stringOption(argv, "config")!;
  const out = stringOption(argv, "out")!;
  const emits = timeEmits();
  const live = mode === "none" ? undefined : new LiveRun({ dir: out, scenario: "donor-game" });
  const staticDir = stringOption(argv, "static");
  const server = live
    ? await startServer({ live, port: 0, ...(staticDir ? { staticDir } : {}) })
    : undefined;
  if (server && (mode === "viewer" || mode === "paced")) {
    say({ kind: "ready", url: server.url });
    const deadline = Date.now() + 60_000;
    while ((await server.clients()).length === 0) {
      if (Date.now() > deadline) throw new Error("no viewer subscribed within 60 s");
      await sleep(20);
    }
    await sleep(300);
  }

  let events = 0;
  let decisions = 0;
  let lastEventAt = 0;
  const count = (batch: readonly AgoraEvent[]) => {
    events += batch.length;
    for (const e of batch)
      if (e.type === "interaction" && e.kind !== "strategy-revised") decisions++;
    lastEventAt = performance.now();
  };
  let startedAt = 0;
  let startEpochMs = 0;
  let cpuAtStart = process.cpuUsage();
  const onStart = () => {
    startedAt = performance.now();
    startEpochMs = Date.now();
    cpuAtStart = process.cpuUsage();
    say({ kind: "started", at: startEpochMs });
  };

  const t0 = performance.now();
  let status: string;
  if (mode === "paced") {
    status = await pacedStream(
      live!,
      stringOption(argv, "events")!,
      numberOption(argv, "rate", "", 6000),
      onStart,
      count,
    );
  } else {
    const result = await startRun(configPath, {
      out,
      onStart: (handle) => {
        onStart();
        live?.onStart(handle);
      },
      hooks: live
        ? {
            ...live.hooks,
            onEvents: (batch) => {
              count(batch);
              live.hooks.onEvents(batch);
            },
          }
        : { onEvents: count },
    });
    status = result.status;
    if (result.status !== "completed")
      throw new Error(`the ${mode} run ended "${result.status}": ${result.error ?? ""}`);
    live?.finish({ status: result.status });
  }
  const endEpochMs = startEpochMs + (lastEventAt - startedAt);
  const cpu = process.cpuUsage(cpuAtStart);
  if (server) await server.settle(60_000);
  const streamMs = lastEventAt - startedAt;
  say({
    kind: "done",
    figures: {
      mode,
      status,
      events,
      decisions,
      setupMs: startedAt - t0,
      streamMs,
      eventsPerSecond: events / (streamMs / 1000),
      decisionsPerSecond: decisions / (streamMs / 1000),
      startEpochMs,
      endEpochMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      emits: emits.emits,
      emitMs: emits.emitMs,
      emitMaxMs: emits.emitMaxMs,
      emitLag: distribution(emits.lags),
      overflows: (await server?.clients())?.reduce((sum, c) => sum + c.overflows, 0) ?? 0,
    },
  });
  if (server) {
    if (mode === "viewer" || mode === "paced") await untilParentSaysExit();
    await server.close();
  }
}

/**
 * Re-emits a recorded run's events through the live run at `rate` events/s: each batch gets a fresh
 * `at` and is appended to events.jsonl before it is published, as the engine and recorder do.
 */
async function pacedStream(
  live: LiveRun,
  eventsPath: string,
  rate: number,
  onStart: () => void,
  count: (batch: readonly AgoraEvent[]) => void,
): Promise<string> {
  const events = readFileSync(eventsPath, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AgoraEvent);
  mkdirSync(live.dir, { recursive: true });
  const log = join(live.dir, "events.jsonl");
  writeFileSync(log, "");
  const progress = { generation: 1 };
  live.onStart({ engine: { progress } } as unknown as RunHandle);
  onStart();
  const t0 = Date.now();
  let sent = 0;
  while (sent < events.length) {
    const due = Math.min(events.length, Math.floor(((Date.now() - t0) * rate) / 1000) + 1);
    if (due > sent) {
      const at = new Date().toISOString();
      const batch = events.slice(sent, due).map((e) => ({ ...e, at }));
      appendFileSync(log, `${batch.map((e) => JSON.stringify(e)).join("\n")}\n`);
      for (const e of batch)
        if (e.type === "generation-ended") progress.generation = e.t.generation + 1;
      count(batch);
      live.hooks.onEvents(batch);
      sent = due;
    }
    await sleep(5);
  }
  const last = events.at(-1);
  const status = last?.type === "run-ended" ? last.status : "completed";
  live.finish({ status });
  return status;
}

// ---------------------------------------------------------------------------------------------
// Parent: children, browser, page instrumentation

const THIS_FILE = fileURLToPath(import.meta.url);

/** This file run as the engine process of `mode` (profiled with `profileDir` in the live modes). */
function engineProcess(mode: Mode, args: string[], profileDir?: string): BenchChild<ChildMessage> {
  const profiling =
    profileDir && (mode === "viewer" || mode === "paced")
      ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=engine-${mode}.cpuprofile`]
      : [];
  return new BenchChild(THIS_FILE, ["--child", mode, ...args], "the engine process", profiling);
}

/** Runs the engine with no browser (modes none and server). */
async function baseline(
  mode: "none" | "server",
  configPath: string,
  out: string,
): Promise<EngineFigures> {
  const child = engineProcess(mode, ["--config", configPath, "--out", out]);
  const { figures } = await child.next("done");
  await child.finish("exit");
  return figures;
}

/** Counts animation frames, times messages, reduces and store updates; see the file's comment. */
const PAGE_SCRIPT = String.raw`(() => {
  const B = { frames: [], sampled: [], recv: [], applied: [], published: [], nextFrame: [], longTasks: [], errors: [], lastAt: undefined };
  window.__bench = B;
  const epoch = (t) => performance.timeOrigin + t;
  const onFrame = (t) => {
    B.frames.push(epoch(t));
    const v = viewer;
    if (v && v.stats.lastApplyLagMs !== null) B.sampled.push([Date.now(), v.stats.lastApplyLagMs]);
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longTasks.push([epoch(e.startTime), e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { B.errors.push("longtask: " + e); }

  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const d = e.data;
        if (typeof d !== "string" || !d.startsWith('42["events"')) return;
        const now = Date.now();
        const i = d.lastIndexOf('"at":"');
        const at = i < 0 ? NaN : Date.parse(d.slice(i + 6, d.indexOf('"', i + 6)));
        B.recv.push([now, now - at, d.length]);
      });
    }
  };

  let viewer;
  const install = (v) => {
    try {
      const proto = Object.getPrototypeOf(v.timeline());
      if (!proto.__benchPatched) {
        const append = proto.append;
        proto.append = function (batch) {
          const t0 = performance.now();
          const head = append.call(this, batch);
          const ms = performance.now() - t0;
          if (batch.length > 0) {
            const at = Date.parse(batch[batch.length - 1].at);
            const now = Date.now();
            B.applied.push([now, now - at, batch.length, ms]);
            B.lastAt = at;
          }
          return head;
        };
        proto.__benchPatched = true;
      }
      let head = v.store.getState().head;
      v.store.subscribe((s) => {
        if (s.head === head) return;
        head = s.head;
        const at = B.lastAt;
        if (at === undefined) return;
        const now = Date.now();
        B.published.push([now, now - at]);
        requestAnimationFrame(() => { const t = Date.now(); B.nextFrame.push([t, t - at]); });
      });
    } catch (e) { B.errors.push("install: " + e); }
  };
  Object.defineProperty(window, "__agoraViewer", { configurable: true, enumerable: true, get: () => viewer, set: (v) => { viewer = v; install(v); } });
})();`;

interface PageRaw {
  frames: number[];
  sampled: [number, number][];
  recv: [number, number, number][];
  applied: [number, number, number, number][];
  published: [number, number][];
  nextFrame: [number, number][];
  longTasks: [number, number][];
  errors: string[];
  stats: { framesRendered: number; eventsApplied: number; gaps: number; duplicatesDropped: number };
}

/**
 * CPU seconds (user + system) of the Chromium processes under this one, per Chromium process type.
 */
function chromiumCpu(rootPid = process.pid): Record<string, number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const inTree = (pid: number): boolean => {
    for (
      let p: number | undefined = pid, hops = 0;
      p !== undefined && p > 1 && hops < 64;
      p = parent.get(p), hops++
    )
      if (p === rootPid) return true;
    return false;
  };
  const out: Record<string, number> = {};
  for (const [pid, t] of ticks) {
    if (!inTree(pid)) continue;
    let type: string;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmdline.includes("chrom")) continue; // the engine processes
      type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? "browser";
    } catch {
      continue;
    }
    out[type] = (out[type] ?? 0) + t / 100; // USER_HZ is 100 on Linux
  }
  return out;
}

/**
 * With --profile: a Chrome trace of the page (open in chrome://tracing or Perfetto) to see layout,
 * paint and GPU time.
 */
const TRACE_CATEGORIES = [
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "disabled-by-default-devtools.timeline.frame",
  "v8.execute",
  "blink",
  "cc",
  "gpu",
  "toplevel",
];

const cpuDelta = (
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, Math.max(0, v - (before[k] ?? 0))]));

async function streamPhase(
  browser: Browser,
  mode: "viewer" | "paced",
  args: string[],
  profileDir?: string,
): Promise<StreamPhase> {
  const child = engineProcess(mode, args, profileDir);
  const pageErrors: string[] = [];
  let webglWarnings = 0;
  let page: Page | undefined;
  try {
    const { url } = await child.next("ready", 120_000);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (msg) => {
      // Chromium's "GL Driver Message ... GPU stall due to ReadPixels" (software WebGL) is counted,
      // not listed.
      if (msg.text().includes("GL Driver Message")) webglWarnings++;
      else if (msg.type() === "error" || msg.type() === "warning")
        pageErrors.push(`console.${msg.type()}: ${msg.text()}`);
    });
    await page.addInitScript({ content: PAGE_SCRIPT });
    const loadedAt = Date.now();
    await page.goto(url);
    const cdp = profileDir ? await page.context().newCDPSession(page) : undefined;
    const { at: startEpochMs } = await child.next("started", 120_000);
    const cpuBefore = chromiumCpu();
    if (cdp) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.start");
      await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    }
    const { figures: engine } = await child.next("done");
    const cpuAfter = chromiumCpu();
    const deadline = Date.now() + 120_000;
    while (
      ((await page.evaluate(
        "window.__agoraViewer ? window.__agoraViewer.stats.eventsApplied : 0",
      )) as number) < engine.events
    ) {
      if (Date.now() > deadline)
        throw new Error(`the viewer applied too few events within 120 s of the run's end`);
      await sleep(100);
    }
    await sleep(300);
    if (cdp && profileDir) {
      writeFileSync(join(profileDir, `page-${mode}.trace.json`), await browser.stopTracing());
      const { profile } = (await cdp.send("Profiler.stop")) as { profile: unknown };
      writeFileSync(join(profileDir, `page-${mode}.cpuprofile`), JSON.stringify(profile));
    }
    const raw = (await page.evaluate(
      "({ ...window.__bench, stats: { ...window.__agoraViewer.stats } })",
    )) as PageRaw;
    const figures = {
      engine,
      page: pageFigures(
        raw,
        engine,
        loadedAt,
        startEpochMs,
        cpuDelta(cpuAfter, cpuBefore),
        pageErrors,
        webglWarnings,
      ),
    };
    await page.close();
    await child.finish("exit");
    return figures;
  } catch (error) {
    await page?.close().catch(() => undefined);
    await child.kill();
    throw error;
  }
}

function pageFigures(
  raw: PageRaw,
  engine: EngineFigures,
  loadedAt: number,
  start: number,
  browserCpuS: Record<string, number>,
  pageErrors: string[],
  webglWarnings: number,
): PageFigures {
  const end = engine.endEpochMs;
  const windowS = (end - start) / 1000;
  const inWindow = (t: number) => t >= start && t <= end;
  const frames = raw.frames.filter(inWindow);
  const intervals = frames.slice(1).map((t, i) => t - frames[i]!);
  // Idle: the second before the run started (the page is loaded and subscribed by then).
  const idle = raw.frames.filter((t) => t >= Math.max(loadedAt, start - 1000) && t < start);
  const idleSpan = idle.length > 1 ? (idle.at(-1)! - idle[0]!) / 1000 : 0;
  const afterStart = <T extends [number, ...number[]]>(rows: T[]) =>
    rows.filter((r) => r[0] >= start);
  const recv = afterStart(raw.recv);
  const applied = afterStart(raw.applied);
  const longTaskMs = raw.longTasks.filter(([t]) => inWindow(t)).reduce((sum, [, d]) => sum + d, 0);
  const applyMs = applied.reduce((sum, r) => sum + r[3], 0);
  const lastApplied = applied.at(-1)?.[0] ?? end;
  const bytesInWindow = recv.filter(([t]) => inWindow(t)).reduce((sum, r) => sum + r[2], 0);
  return {
    fps: frames.length / windowS,
    idleFps: idleSpan > 0 ? (idle.length - 1) / idleSpan : NaN,
    frames: frames.length,
    frameIntervalP95Ms: distribution(intervals).p95,
    longestFrameMs: Math.max(0, ...intervals),
    framesOver50Ms: intervals.filter((d) => d > 50).length,
    framesOver100Ms: intervals.filter((d) => d > 100).length,
    longTaskShare: longTaskMs / (end - start),
    receiveLag: distribution(recv.map((r) => r[1])),
    applyLag: distribution(applied.map((r) => r[1])),
    storeLag: distribution(afterStart(raw.published).map((r) => r[1])),
    nextFrameLag: distribution(afterStart(raw.nextFrame).map((r) => r[1])),
    sampledLag: distribution(raw.sampled.filter(([t]) => inWindow(t)).map((r) => r[1])),
    messages: recv.length,
    meanMessageBytes: recv.length ? recv.reduce((s, r) => s + r[2], 0) / recv.length : 0,
    receivedMBps: bytesInWindow / 1024 / 1024 / windowS,
    batchesApplied: applied.length,
    meanApplyMs: applied.length ? applyMs / applied.length : 0,
    applyShare: applyMs / (end - start),
    storeUpdatesPerSecond: raw.published.filter(([t]) => inWindow(t)).length / windowS,
    eventsApplied: raw.stats.eventsApplied,
    drainMs: lastApplied - end,
    gaps: raw.stats.gaps,
    duplicatesDropped: raw.stats.duplicatesDropped,
    pageErrors: [...pageErrors, ...raw.errors],
    webglWarnings,
    browserCpuS,
    browserCpuMsPerFrame:
      (1000 * Object.values(browserCpuS).reduce((a, b) => a + b, 0)) / Math.max(1, frames.length),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const cpuPerEvent = (f: EngineFigures) => f.cpuMs / f.events;

export async function benchViewerStream(o: ViewerStreamOptions): Promise<ViewerStreamFigures> {
  // The build served: --static's (a worktree without viewer/dist can measure another build).
  const dist = o.staticDir ?? VIEWER_DIST;
  if (!existsSync(join(dist, "index.html")))
    throw new Error(
      o.staticDir
        ? `--static ${dist} has no index.html: build a viewer there first`
        : `${dist} has no built viewer: run \`npm run build:viewer\` first`,
    );
  if (!existsSync(o.chromium))
    throw new Error(
      `${o.chromium} is missing: this benchmark needs Chromium (apt-get install -y chromium, or BENCH_CHROMIUM=PATH)`,
    );
  if (o.profileDir) mkdirSync(o.profileDir, { recursive: true });
  const loadAtStart = loadavg();
  const tmp = tempDir("agora-bench-viewer-");
  try {
    const configPath = benchConfig(tmp.dir, o);
    const none: EngineFigures[] = [];
    const server: EngineFigures[] = [];
    const runBaseline = async (mode: "none" | "server", i: number) => {
      const f = await baseline(mode, configPath, join(tmp.dir, `${mode}-${i}`));
      (mode === "none" ? none : server).push(f);
      return f;
    };
    // Baselines alternate around the viewer phases: none, server before; server, none after; ...
    const before = Math.ceil(o.baselineRuns / 2);
    for (let i = 0; i < before; i++) {
      await runBaseline("none", none.length);
      await runBaseline("server", server.length);
    }
    const recorded = join(tmp.dir, "none-0", "events.jsonl");
    const edges = recordedEdgeCount(
      (JSON.parse(readFileSync(recorded, "utf8").split("\n", 1)[0]!) as EventOf<"run-started">)
        .graph,
    );

    const browser = await chromium.launch({
      executablePath: o.chromium,
      args: [
        "--headless",
        "--no-sandbox",
        "--enable-unsafe-swiftshader",
        "--disable-background-networking",
        "--no-first-run",
        ...o.chromiumArgs,
      ],
    });
    let viewer: StreamPhase;
    let paced: StreamPhase | null = null;
    try {
      const served = o.staticDir ? ["--static", o.staticDir] : [];
      viewer = await streamPhase(
        browser,
        "viewer",
        ["--config", configPath, "--out", join(tmp.dir, "viewer"), ...served],
        o.profileDir,
      );
      if (o.pacedRate > 0) {
        paced = await streamPhase(
          browser,
          "paced",
          [
            "--config",
            configPath,
            "--out",
            join(tmp.dir, "paced"),
            "--events",
            recorded,
            "--rate",
            String(o.pacedRate),
            ...served,
          ],
          o.profileDir,
        );
      }
    } finally {
      await browser.close();
    }
    for (let i = before; i < o.baselineRuns; i++) {
      await runBaseline("server", server.length);
      await runBaseline("none", none.length);
    }
    const noneEventsPerSecond = mean(none.map((f) => f.eventsPerSecond));
    const serverEventsPerSecond = mean(server.map((f) => f.eventsPerSecond));
    return {
      agents: o.agents,
      generations: o.generations,
      rounds: o.rounds,
      m: o.m,
      edges,
      pacedRate: o.pacedRate,
      baselines: { none, server },
      noneEventsPerSecond,
      serverEventsPerSecond,
      viewer,
      ratioVsNone: viewer.engine.eventsPerSecond / noneEventsPerSecond,
      ratioVsServer: viewer.engine.eventsPerSecond / serverEventsPerSecond,
      cpuRatio: mean(none.map(cpuPerEvent)) / cpuPerEvent(viewer.engine),
      paced,
      cores: cpus().length,
      loadAverage: { start: loadAtStart, end: loadavg() },
    };
  } finally {
    tmp.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : "n/a");
const lag = (d: Distribution) =>
  `median ${ms(d.median)}, p95 ${ms(d.p95)}, max ${ms(d.max)} (${d.n})`;
const int = (v: number) => Math.round(v).toLocaleString("en-US");
const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(" ");

function phaseLines(title: string, p: StreamPhase): string[] {
  const e = p.engine;
  const g = p.page;
  const cpu = Object.entries(g.browserCpuS)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(", ");
  return [
    title,
    `  emitted              ${int(e.events)} events in ${seconds(e.streamMs)} s = ${int(e.eventsPerSecond)} events/s (${int(e.decisions)} decisions)`,
    `  frames per second    ${g.fps.toFixed(1)} while streaming (idle before the run ${g.idleFps.toFixed(1)}); frame interval p95 ${ms(g.frameIntervalP95Ms)}, longest ${ms(g.longestFrameMs)}, ${g.framesOver50Ms} over 50 ms, ${g.framesOver100Ms} over 100 ms`,
    `  lag emit -> store    ${lag(g.storeLag)}`,
    `    -> received        ${lag(g.receiveLag)}`,
    `    -> reduced         ${lag(g.applyLag)}`,
    `    -> next frame      ${lag(g.nextFrameLag)}`,
    `    lastApplyLagMs     ${lag(g.sampledLag)}  (sampled every frame)`,
    `  messages             ${int(g.messages)} (${int(g.meanMessageBytes)} bytes each, ${g.receivedMBps.toFixed(2)} MB/s); ${int(g.batchesApplied)} reduces, ${g.meanApplyMs.toFixed(2)} ms each (${(100 * g.applyShare).toFixed(1)}% of the window); ${g.storeUpdatesPerSecond.toFixed(1)} store updates/s`,
    `  page main thread     ${(100 * g.longTaskShare).toFixed(0)}% of the window in long tasks`,
    `  drain after the run  ${ms(g.drainMs)}; ${int(g.eventsApplied)} events applied, ${g.gaps} gaps, ${g.duplicatesDropped} duplicates, ${e.overflows} server buffer overflows`,
    `  server               ${e.emits} emits, ${e.emitMs.toFixed(0)} ms encoding + writing (max ${e.emitMaxMs.toFixed(1)} ms); engine process CPU ${seconds(e.cpuMs)} s`,
    `    emit -> sent       ${lag(e.emitLag)}  (in the engine process: batching, event loop)`,
    `  Chromium CPU         ${cpu || "n/a"} s over the window; ${ms(g.browserCpuMsPerFrame)} per frame`,
    ...(g.pageErrors.length
      ? [`  page errors          ${g.pageErrors.slice(0, 5).join(" | ")}`]
      : []),
  ];
}

export function report(f: ViewerStreamFigures): string {
  const rates = (xs: EngineFigures[]) => xs.map((x) => int(x.eventsPerSecond)).join(", ");
  const cpuPerK = (xs: EngineFigures[]) => (1000 * mean(xs.map(cpuPerEvent))).toFixed(0);
  const lines = [
    `Viewer stream: ${f.agents} policy agents, Barabási–Albert m = ${f.m} (${f.edges} edges), ${f.generations} generations x 2 games x ${f.rounds} rounds, headless Chromium (software WebGL)`,
    `  load average         ${loads(f.loadAverage.start)} at the start, ${loads(f.loadAverage.end)} at the end (${f.cores} cores)`,
    `  engine alone         ${int(f.noneEventsPerSecond)} events/s (runs: ${rates(f.baselines.none)}); ${cpuPerK(f.baselines.none)} ms engine CPU per 1,000 events`,
    `  server, no client    ${int(f.serverEventsPerSecond)} events/s (runs: ${rates(f.baselines.server)}); ${cpuPerK(f.baselines.server)} ms CPU per 1,000 events`,
    `  with the viewer      ${int(f.viewer.engine.eventsPerSecond)} events/s: ${f.ratioVsNone.toFixed(3)} of the engine alone, ${f.ratioVsServer.toFixed(3)} of the server without a client; ${cpuPerK([f.viewer.engine])} ms CPU per 1,000 events`,
    ...phaseLines("Live engine stream into the viewer", f.viewer),
    ...(f.paced
      ? phaseLines(`Paced stream of the recorded run at ${int(f.pacedRate)} events/s`, f.paced)
      : []),
  ];
  return lines.join("\n");
}

/** Rows for a markdown table (this script's report and run-all's). */
export function markdownRows(f: ViewerStreamFigures): [string, string][] {
  const v = f.viewer;
  const rows: [string, string][] = [
    [
      `Viewer stream: engine emit rate with the viewer (${f.agents} agents, BA m = ${f.m}, ${f.generations} generations)`,
      `${int(v.engine.eventsPerSecond)} events/s over ${seconds(v.engine.streamMs)} s (${int(v.engine.events)} events)`,
    ],
    [
      "Viewer stream: frames per second while streaming (target >= 30)",
      `${v.page.fps.toFixed(1)} (idle ${v.page.idleFps.toFixed(1)})`,
    ],
    [
      "Viewer stream: Chromium CPU per frame while streaming (all processes)",
      ms(v.page.browserCpuMsPerFrame),
    ],
    [
      "Viewer stream: lag emit -> store, median / p95 (target median <= 250 ms)",
      `${ms(v.page.storeLag.median)} / ${ms(v.page.storeLag.p95)}`,
    ],
    [
      "Viewer stream: engine throughput with viewer / no server (target >= 0.9)",
      `${f.ratioVsNone.toFixed(3)} (${int(v.engine.eventsPerSecond)} / ${int(f.noneEventsPerSecond)} events/s)`,
    ],
    [
      "Viewer stream: engine throughput with viewer / server without client",
      `${f.ratioVsServer.toFixed(3)} (${int(f.serverEventsPerSecond)} events/s without a client)`,
    ],
    [
      "Viewer stream: engine CPU per event, alone / with viewer (the viewer's work in the engine process)",
      f.cpuRatio.toFixed(3),
    ],
  ];
  if (f.paced) {
    const p = f.paced;
    rows.push(
      [
        `Viewer stream, paced at ${int(f.pacedRate)} events/s: achieved`,
        `${int(p.engine.eventsPerSecond)} events/s over ${seconds(p.engine.streamMs)} s`,
      ],
      ["Viewer stream, paced: frames per second", p.page.fps.toFixed(1)],
      ["Viewer stream, paced: Chromium CPU per frame", ms(p.page.browserCpuMsPerFrame)],
      [
        "Viewer stream, paced: lag emit -> store, median / p95",
        `${ms(p.page.storeLag.median)} / ${ms(p.page.storeLag.p95)}`,
      ],
    );
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  if (stringOption(argv, "child") !== undefined) {
    await runChild(argv);
  } else {
    const figures = await benchViewerStream(optionsFromArgv(argv));
    const table = [
      "| Figure | Value |",
      "| --- | --- |",
      ...markdownRows(figures).map(([k, v]) => `| ${k} | ${v} |`),
    ];
    console.log(
      hasFlag(argv, "json") ? JSON.stringify(figures) : `${report(figures)}\n\n${table.join("\n")}`,
    );
  }
}
