/**
 * `agora batch --serve`: the CLI serves the batch page while the batch runs, every run that starts
 * is a live run (listed live, streamed and controllable over socket.io), the server outlives the
 * batch until Ctrl-C unless --exit-when-done, which exits with the batch's code; server flags
 * without --serve, and --serve with --queue, are usage errors. Policy-mind Donor Game runs, paced
 * with --speed so they are still running while the test looks.
 */
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { BatchFile } from "../sim/app/batch/batch-file.js";
import type { AgoraEvent } from "../sim/core/events.js";
import type {
  BatchState,
  ControlAck,
  RunState,
  RunSummary,
  SubscribeAck,
} from "../sim/app/server/index.js";
import { alive, viewerUrlOf } from "./support/browser.js";
import {
  readJson,
  spawnCli,
  tempDir,
  writeConfig,
  type CliProcess,
} from "./support/llm-helpers.js";

const GENERATIONS = 3;
const tmp = tempDir("batch-serve");
const config = writeConfig(join(tmp.path, "configs"), "policy.yaml", {
  scenario: "donor-game",
  generations: GENERATIONS,
  population: {
    size: 6,
    minds: [
      { count: 3, policy: "tit-for-tat" },
      { count: 3, policy: "defect" },
    ],
  },
  cache: { dir: join(tmp.path, "cache") },
});
const children: CliProcess[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  for (const c of children.splice(0)) {
    if (alive(c)) c.child.kill("SIGKILL");
    await c.done;
  }
});
afterAll(() => tmp.cleanup());

function batch(out: string, ...flags: string[]): CliProcess {
  const proc = spawnCli([
    "batch",
    config,
    "--seeds",
    "0..1",
    "--grid",
    "donorGame.punishment=none,costly",
    "--concurrency",
    "2",
    "--out",
    out,
    ...flags,
  ]);
  children.push(proc);
  return proc;
}

/** GET /api/batch; null while the batch has not written batch.json yet (503). */
async function batchState(origin: string): Promise<BatchState | null> {
  const res = await fetch(`${origin}/api/batch`);
  if (res.status === 503) return null;
  expect(res.status).toBe(200);
  return (await res.json()) as BatchState;
}

describe("agora batch --serve", () => {
  it("serves the batch page while it runs, each started run live and controllable, and keeps serving until Ctrl-C", async () => {
    const out = join(tmp.path, "served");
    const proc = batch(out, "--serve", "--port", "0", "--speed", "10");
    let stderr = "";
    proc.child.stderr!.on("data", (chunk: string) => (stderr += chunk));
    const origin = new URL(await viewerUrlOf(proc)).origin;

    // Every status each run is seen with, in order, over the polls; `last` is the latest state.
    const seen = new Map<string, string[]>();
    const last: { state?: BatchState } = {};
    const poll = async () => {
      const state = await batchState(origin);
      if (state) last.state = state;
      for (const run of state?.runs ?? []) {
        const statuses = seen.get(run.id) ?? [];
        if (statuses.at(-1) !== run.status) statuses.push(run.status);
        seen.set(run.id, statuses);
      }
      return state;
    };
    await expect
      .poll(async () => (await poll())?.runs.some((r) => r.status === "running" && r.live), {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(true);
    const now = last.state!;
    expect(now.runs).toHaveLength(4);
    // Concurrency 2: at most two runs in progress, the others waiting, none listed live before it
    // starts.
    expect(now.runs.filter((r) => r.status === "running").length).toBeLessThanOrEqual(2);
    for (const run of now.runs.filter((r) => r.status === "pending")) expect(run.live).toBe(false);
    const target = now.runs.find((r) => r.status === "running" && r.live)!;

    // /api/runs offers it as live; a socket client streams it and pauses and resumes it.
    const runs = (await (await fetch(`${origin}/api/runs`)).json()) as RunSummary[];
    expect(runs.find((r) => r.id === target.id)).toMatchObject({
      live: true,
      status: "running",
      scenario: "donor-game",
    });
    const socket = io(origin, { transports: ["websocket"], reconnection: false, forceNew: true });
    sockets.push(socket);
    const events: AgoraEvent[] = [];
    const states: RunState[] = [];
    socket.on("events", (b: AgoraEvent[]) => events.push(...b));
    socket.on("run-state", (s: RunState) => states.push(s));
    const ack = (await socket
      .timeout(5000)
      .emitWithAck("subscribe", { runId: target.id })) as SubscribeAck;
    expect(ack).toMatchObject({ ok: true, runId: target.id, live: true });
    const paused = (await socket
      .timeout(5000)
      .emitWithAck("control", { runId: target.id, action: "pause" })) as ControlAck;
    expect(paused.ok).toBe(true);
    await expect
      .poll(() => states.some((s) => s.runId === target.id && s.paused), { timeout: 10_000 })
      .toBe(true);
    // Held: the other runs finish, this one stays running at its generation.
    await expect
      .poll(
        async () =>
          (await poll())?.runs.filter((r) => r.id !== target.id && r.status === "completed").length,
        { timeout: 30_000, interval: 100 },
      )
      .toBe(3);
    expect(last.state!.runs.find((r) => r.id === target.id)).toMatchObject({
      status: "running",
      live: true,
    });
    expect(events.some((e) => e.type === "run-ended")).toBe(false);
    expect(
      (
        (await socket
          .timeout(5000)
          .emitWithAck("control", { runId: target.id, action: "resume" })) as ControlAck
      ).ok,
    ).toBe(true);
    await expect
      .poll(() => events.some((e) => e.type === "run-ended"), { timeout: 20_000 })
      .toBe(true);
    expect(events[0]!.type).toBe("run-started");

    // The finished batch, still served: every run completed at its last generation, each seen
    // running on the way.
    await expect
      .poll(async () => (await poll())?.status, { timeout: 20_000, interval: 100 })
      .toBe("completed");
    const done = last.state!;
    expect(done.counts).toEqual({ completed: 4 });
    for (const run of done.runs) {
      expect(run).toMatchObject({ status: "completed", generation: GENERATIONS });
      expect(seen.get(run.id)!.at(-1)).toBe("completed");
      expect(
        seen
          .get(run.id)!
          .slice(0, -1)
          .every((s) => s === "pending" || s === "running"),
      ).toBe(true);
    }
    expect(done.series.map((s) => s.n.at(-1))).toEqual([2, 2]);
    expect(seen.get(target.id)).toContain("running");
    expect(seen.get(now.runs.find((r) => r.status === "pending")?.id ?? target.id)).toContain(
      "running",
    );

    await expect.poll(() => stderr.includes("still serving"), { timeout: 10_000 }).toBe(true);
    expect(alive(proc)).toBe(true);
    proc.child.kill("SIGINT");
    const exit = await proc.done;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain("batch completed: 4 completed");
  }, 60_000);

  it("--exit-when-done exits with the batch's code: 130 when interrupted, 0 once the same command completes it", async () => {
    const out = join(tmp.path, "exit");
    const first = batch(out, "--serve", "--port", "0", "--speed", "5", "--exit-when-done");
    const origin = new URL(await viewerUrlOf(first)).origin;
    await expect
      .poll(
        async () => (await batchState(origin))?.runs.some((r) => r.live && r.status === "running"),
        { timeout: 20_000, interval: 50 },
      )
      .toBe(true);
    first.child.kill("SIGINT");
    const interrupted = await first.done;
    expect(interrupted.code).toBe(130);
    expect(readJson<BatchFile>(join(out, "batch.json")).status).toBe("interrupted");

    const second = await batch(out, "--serve", "--port", "0", "--exit-when-done").done;
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/viewer: http:\/\/127\.0\.0\.1:\d+\//);
    expect(second.stderr).toContain("resume");
    expect(second.stderr).not.toContain("still serving");
    expect(readJson<BatchFile>(join(out, "batch.json")).status).toBe("completed");
  }, 60_000);

  it("server flags without --serve, and --serve with --queue, are usage errors", async () => {
    const out = join(tmp.path, "unused");
    const [port, speed, queue] = await Promise.all([
      batch(out, "--port", "0").done,
      batch(out, "--speed", "5").done,
      batch(out, "--serve", "--queue", "redis://127.0.0.1:1").done,
    ]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--port needs --serve");
    expect(speed.code).toBe(2);
    expect(speed.stderr).toContain("--speed needs --serve");
    expect(queue.code).toBe(2);
    expect(queue.stderr).toContain("with --queue it executes none");
    expect(port.stderr + speed.stderr + queue.stderr).not.toContain("viewer:");
  }, 30_000);
});
