/**
 * Crash and resume through the CLI: a run killed with SIGKILL mid-generation resumes from its last
 * checkpoint and ends exactly as an uninterrupted run of the same config does.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import type { Checkpoint, Manifest } from "../sim/core/recorder.js";
import {
  llmWorkspace,
  ofType,
  peekEvents,
  readEvents,
  readJson,
  runCli,
  spawnCli,
  stableEvents,
  waitForEvents,
} from "./support/llm-helpers.js";

const ENV = { FAKE_KEY: "sk-resume-test" };
/** Per-request latency: a generation takes about 13 x this, long enough to kill one midway. */
const LATENCY_MS = 60;

const workspace = llmWorkspace("resume", { latencyMs: LATENCY_MS });
const setup = (generations: number) => workspace.setup({ generations, timeoutMs: 5_000 });

/** Starts a run and SIGKILLs it as soon as its log satisfies `when`. */
async function runAndKill(
  configPath: string,
  dir: string,
  when: (events: AgoraEvent[]) => boolean,
): Promise<void> {
  const proc = spawnCli(["run", configPath, "--out", dir], ENV);
  try {
    await waitForEvents(dir, proc, when);
  } finally {
    proc.child.kill("SIGKILL");
  }
  const ended = await proc.done;
  expect(ended.signal).toBe("SIGKILL");
}

const donatedIn = (generation: number) => (events: AgoraEvent[]) =>
  events.some(
    (e) => e.type === "interaction" && e.kind === "donation" && e.t.generation === generation,
  );

const files = (dir: string) =>
  Object.fromEntries(
    ["events.jsonl", "metrics.jsonl", "agents.jsonl", "manifest.json", "checkpoint.json"].map(
      (f) => [f, readFileSync(join(dir, f), "utf8")],
    ),
  );

/**
 * The resumed run's records equal the uninterrupted run's (events compared without volatile
 * fields).
 */
function expectSameRun(resumed: string, reference: string): void {
  const a = readEvents(resumed);
  const b = readEvents(reference);
  expect(a.length).toBe(b.length);
  expect(stableEvents(a)).toEqual(stableEvents(b));
  for (const name of ["metrics.jsonl", "agents.jsonl"]) {
    expect(readFileSync(join(resumed, name), "utf8"), name).toBe(
      readFileSync(join(reference, name), "utf8"),
    );
  }
  const ma = readJson<Manifest>(join(resumed, "manifest.json"));
  const mb = readJson<Manifest>(join(reference, "manifest.json"));
  for (const key of ["calls", "tokensIn", "tokensOut", "cost"] as const)
    expect(ma.totals[key], `totals.${key}`).toBe(mb.totals[key]);
}

describe("resume after a crash", () => {
  it("a run killed mid-generation 2 resumes from generation 2 and matches an uninterrupted run", async () => {
    const { work, configPath, fake } = await setup(3);
    const dir = join(work, "crashed", "run");
    // Killed once generation 1 is checkpointed and generation 2 has played at least a round.
    await runAndKill(
      configPath,
      dir,
      (events) =>
        events.some((e) => e.type === "generation-ended" && e.t.generation === 1) &&
        donatedIn(2)(events),
    );

    const checkpoint = readJson<Checkpoint>(join(dir, "checkpoint.json"));
    expect(checkpoint.generation).toBe(1);
    const crashed = peekEvents(dir);
    // Generation 2's events, to be dropped.
    expect(crashed.length).toBeGreaterThan(checkpoint.nextSeq);
    expect(crashed.some((e) => e.type === "generation-ended" && e.t.generation === 2)).toBe(false);
    expect(readJson<Manifest>(join(dir, "manifest.json"))).toMatchObject({
      status: "running",
      generationsCompleted: 1,
    });
    const requestsBeforeResume = fake.requests.length;

    const resumed = await runCli(["resume", dir, "--quiet"], ENV);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const manifest = readJson<Manifest>(join(dir, "manifest.json"));
    expect(manifest.status).toBe("completed");
    expect(manifest.generationsCompleted).toBe(3);
    expect(manifest.resumes).toEqual([{ at: expect.any(String), fromGeneration: 2 }]);
    // Calls made before the crash came from the cache; the rest reached the endpoint.
    expect(manifest.cache.hits).toBeGreaterThan(0);
    expect(fake.requests.length).toBeGreaterThan(requestsBeforeResume);
    expect(ofType(readEvents(dir), "run-started")).toHaveLength(1);

    // The same config uninterrupted, every call now served by the cache.
    const reference = join(work, "reference", "run");
    const requestsBeforeReference = fake.requests.length;
    const out = await runCli(["run", configPath, "--out", reference], ENV);
    expect(out.code).toBe(0);
    expect(fake.requests.length).toBe(requestsBeforeReference);
    expect(readJson<Manifest>(join(reference, "manifest.json")).cache.misses).toBe(0);
    expectSameRun(dir, reference);

    // Resuming a completed run does nothing.
    const before = files(dir);
    const noop = await runCli(["resume", dir], ENV);
    expect(noop.code).toBe(0);
    expect(noop.stdout).toMatch(/already completed/);
    expect(files(dir)).toEqual(before);
  });

  it("a run killed before its first checkpoint restarts from the beginning and still matches", async () => {
    const { work, configPath } = await setup(2);
    const dir = join(work, "crashed", "run");
    await runAndKill(configPath, dir, donatedIn(1));
    expect(() => readFileSync(join(dir, "checkpoint.json"))).toThrow(/ENOENT/);
    expect(peekEvents(dir).some((e) => e.type === "generation-ended")).toBe(false);

    const resumed = await runCli(["resume", dir, "--quiet"], ENV);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const manifest = readJson<Manifest>(join(dir, "manifest.json"));
    expect(manifest).toMatchObject({ status: "completed", generationsCompleted: 2 });
    expect(manifest.resumes).toEqual([{ at: expect.any(String), fromGeneration: 1 }]);
    expect(ofType(readEvents(dir), "run-started")).toHaveLength(1);

    const reference = join(work, "reference", "run");
    const out = await runCli(["run", configPath, "--out", reference], ENV);
    expect(out.code).toBe(0);
    expectSameRun(dir, reference);
  });
});
