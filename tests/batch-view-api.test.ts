/**
 * The batch page's server side: `GET /api/batch` on a batch directory (runs, statuses,
 * per-condition
 * mean and bootstrap CI over generations, recomputed here from the runs), its query validation and
 * token, `agora serve --runs DIR` recognising a batch directory, and a batch run made live with
 * serveBatch().track(): listed as live while it runs, controllable over socket.io, streamed.
 */
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { emptyTotals } from "../sim/core/spend.js";
import { newBatchFile, writeBatchFile } from "../sim/app/batch/batch-file.js";
import { prepareBatch } from "../sim/app/batch/runner.js";
import { runOne } from "../sim/app/batch/run-one.js";
import { createSharedResources } from "../sim/app/batch/shared.js";
import type { AgoraEvent } from "../sim/core/events.js";
import { Rng } from "../sim/core/rng.js";
import { summarise } from "../sim/app/report/stats.js";
import { serveBatch, type LiveBatch } from "../sim/app/server/batch-live.js";
import { LIVE_RESAMPLES } from "../sim/app/server/batch-state.js";
import {
  startServer,
  type AgoraServer,
  type BatchState,
  type ControlAck,
  type RunSummary,
  type SubscribeAck,
} from "../sim/app/server/index.js";
import { viewerUrlOf, alive } from "./support/browser.js";
import { FIXTURE_CONDITIONS, writeBatchFixture, type FixtureRun } from "./support/batch-fixture.js";
import { sleep, spawnCli, tempDir, writeConfig, type CliProcess } from "./support/llm-helpers.js";

const tmp = tempDir("batch-view-api");
const fixtureDir = join(tmp.path, "fixture");
let fixture: FixtureRun[] = [];
const servers: AgoraServer[] = [];
const sockets: Socket[] = [];
const children: CliProcess[] = [];

beforeAll(() => {
  fixture = writeBatchFixture(fixtureDir);
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  for (const s of servers.splice(0)) await s.close();
  for (const c of children.splice(0)) {
    if (alive(c)) c.child.kill("SIGKILL");
    await c.done;
  }
});
afterAll(() => tmp.cleanup());

const base = (server: AgoraServer) => `http://127.0.0.1:${server.port}`;

async function get<T = unknown>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as T };
}

async function serve(options: Parameters<typeof startServer>[0]): Promise<AgoraServer> {
  const server = await startServer({ port: 0, ...options });
  servers.push(server);
  return server;
}

describe("GET /api/batch on a batch directory", () => {
  it("lists every run with its status and generation, and the metric's mean and CI per condition and generation", async () => {
    const server = await serve({ runsDir: fixtureDir });
    const { status, body } = await get<BatchState>(`${base(server)}/api/batch`);
    expect(status).toBe(200);
    expect(body.batchId).toBe("fixture-batch");
    expect(body.conditions).toEqual([...FIXTURE_CONDITIONS]);
    expect(body.runs).toHaveLength(fixture.length);
    const failed = body.runs.find((r) => r.id === "costly-s5")!;
    expect(failed).toMatchObject({
      status: "failed",
      generation: 2,
      generations: 4,
      live: false,
      error: "fake endpoint said no",
      seed: 5,
      condition: FIXTURE_CONDITIONS[1],
    });
    expect(body.counts).toEqual({ completed: 11, failed: 1 });
    expect(body.metrics).toEqual(["avgFinalResources", "cooperation"]);
    expect(body.metric).toBe("avgFinalResources");
    expect(body.ci).toEqual({ level: 0.95, resamples: LIVE_RESAMPLES });

    // Every run's recorded generations count (the failed run's two as well).
    for (const [i, condition] of FIXTURE_CONDITIONS.entries()) {
      const series = body.series[i]!;
      expect(series.condition).toBe(condition);
      expect(series.generation).toEqual([1, 2, 3, 4]);
      for (const [k, g] of series.generation.entries()) {
        const values = fixture
          .filter((r) => r.condition === condition && r.values.length >= g)
          .map((r) => r.values[g - 1]![0]);
        expect(series.n[k]).toBe(values.length);
        expect(series.mean[k]).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
        const s = summarise(values, new Rng(0, ["batch-view", "avgFinalResources", condition, g]), {
          resamples: LIVE_RESAMPLES,
        });
        expect(series.ciLow[k]).toBeCloseTo(s.ciLow!, 9);
        expect(series.ciHigh[k]).toBeCloseTo(s.ciHigh!, 9);
      }
    }
    expect(body.series[1]!.n).toEqual([6, 6, 5, 5]);

    const coop = await get<BatchState>(`${base(server)}/api/batch?metric=cooperation`);
    expect(coop.body.metric).toBe("cooperation");
    expect(coop.body.series[0]!.mean[0]).toBeCloseTo(
      fixture
        .filter((r) => r.condition === FIXTURE_CONDITIONS[0])
        .reduce((s, r) => s + r.values[0]![1], 0) / 6,
      9,
    );

    // The batch's runs (DIR/runs/*) are the server's runs.
    const runs = await get<RunSummary[]>(`${base(server)}/api/runs`);
    expect(runs.body.map((r) => r.id).sort()).toEqual(fixture.map((r) => r.run).sort());
  });

  it("refuses bad queries, wants the token, and is 204 without a batch", async () => {
    const server = await serve({ runsDir: fixtureDir, token: "tok" });
    expect((await get(`${base(server)}/api/batch`)).status).toBe(401);
    const auth = { Authorization: "Bearer tok" };
    expect((await get(`${base(server)}/api/batch`, auth)).status).toBe(200);
    expect((await get(`${base(server)}/api/batch?token=tok`)).status).toBe(200);
    const unknown = await get<{ error: string }>(`${base(server)}/api/batch?metric=nope`, auth);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('metric: got "nope"');
    expect(
      (await get<{ error: string }>(`${base(server)}/api/batch?colour=red`, auth)).body.error,
    ).toMatch(/colour|unrecognized/i);
    expect((await get(`${base(server)}/api/batch?metric=`, auth)).status).toBe(400);
    expect(
      (await get(`${base(server)}/api/batch?metric=cooperation&metric=cooperation`, auth)).status,
    ).toBe(400);
    expect(
      (await fetch(`${base(server)}/api/batch`, { method: "POST", headers: auth })).status,
    ).toBe(405);
    expect(
      (await get(`${base(server)}/api/batch`, { ...auth, Origin: "http://evil.example" })).status,
    ).toBe(403);

    const early = await serve({ batchDir: join(tmp.path, "not-started") });
    const notReady = await get<{ error: string }>(`${base(early)}/api/batch`);
    expect(notReady.status).toBe(503);
    expect(notReady.body.error).toContain("has not started");

    const plain = await serve({ runsDir: join(fixtureDir, "runs") });
    // No content rather than a 404, which every single run's page would log as an error.
    const none = await fetch(`${base(plain)}/api/batch`);
    expect(none.status).toBe(204);
    expect(await none.text()).toBe("");
  });

  it("is served by `agora serve --runs BATCH_DIR`", async () => {
    const proc = spawnCli(["serve", "--runs", fixtureDir, "--port", "0"]);
    children.push(proc);
    const url = new URL(await viewerUrlOf(proc));
    const { status, body } = await get<BatchState>(`${url.origin}/api/batch`);
    expect(status).toBe(200);
    expect(body.runs).toHaveLength(fixture.length);
  });
});

describe("a batch served while it runs", () => {
  it("lists a started run as live, lets a viewer control and stream it, and counts it once it ends", async () => {
    const dir = join(tmp.path, "live-batch");
    const config = writeConfig(join(tmp.path, "configs"), "policy.yaml", {
      scenario: "donor-game",
      generations: 2,
      population: {
        size: 6,
        minds: [
          { count: 3, policy: "tit-for-tat" },
          { count: 3, policy: "defect" },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    const plan = prepareBatch({
      configPath: config,
      seeds: "0..1",
      grid: [["donorGame.punishment", ["none", "costly"]]],
    });
    writeBatchFile(
      dir,
      newBatchFile({
        batchId: "live",
        config,
        grid: plan.grid,
        seeds: plan.seeds,
        specs: plan.specs,
        caps: {},
        totals: emptyTotals(),
      }),
    );
    const batch: LiveBatch = await serveBatch(dir, { port: 0 });
    servers.push(batch.server);
    const spec = plan.specs[0]!;
    let generationsSeen = 0;
    const tracked = batch.track(spec.id, "donor-game", dir, {
      hooks: { onGenerationEnd: () => generationsSeen++ },
    });
    tracked.live.gate.pause();
    const done = runOne(
      spec,
      dir,
      createSharedResources({ llmConcurrency: 2 }),
      tracked.options,
    ).then((row) => {
      tracked.finish(row.status);
      return row;
    });

    const state = async () => (await get<BatchState>(`${base(batch.server)}/api/batch`)).body;
    let now = await state();
    for (let i = 0; i < 200 && !now.runs[0]!.live; i++) {
      await sleep(20);
      now = await state();
    }
    expect(now.runs[0]).toMatchObject({ id: spec.id, live: true, status: "running" });
    expect(now.runs.slice(1).map((r) => r.status)).toEqual(["pending", "pending", "pending"]);

    const socket = io(base(batch.server), {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const events: AgoraEvent[] = [];
    socket.on("events", (b: AgoraEvent[]) => events.push(...b));
    const ack = (await socket
      .timeout(5000)
      .emitWithAck("subscribe", { runId: spec.id })) as SubscribeAck;
    expect(ack).toMatchObject({ ok: true, live: true });
    const resumed = (await socket
      .timeout(5000)
      .emitWithAck("control", { runId: spec.id, action: "resume" })) as ControlAck;
    expect(resumed.ok).toBe(true);
    const row = await done;
    expect(row.status).toBe("completed");
    expect(generationsSeen).toBe(2);
    for (let i = 0; i < 200 && !events.some((e) => e.type === "run-ended"); i++) await sleep(20);
    expect(events[0]!.type).toBe("run-started");
    expect(events.at(-1)!.type).toBe("run-ended");

    now = await state();
    expect(now.runs[0]).toMatchObject({ live: true, status: "completed", generation: 2 });
    expect(now.series[0]!.generation).toEqual([1, 2]);
    expect(now.series[0]!.n).toEqual([1, 1]);
    expect(now.series[0]!.ciLow).toEqual([null, null]);
  });
});
