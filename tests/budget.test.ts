/**
 * Budget caps through the CLI: --max-calls and --max-cost end a run cleanly with exit code 3 and
 * status budget-exhausted, with a complete, parseable log; policy minds are never capped.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../sim/core/recorder.js";
import type { AgoraEvent, EventOf } from "../sim/core/events.js";
import {
  llmWorkspace,
  ofType,
  readEvents,
  readJson,
  readJsonlStrict,
  runCli,
  stableEvents,
  sum,
  writeConfig,
} from "./support/llm-helpers.js";

const ENV = { FAKE_KEY: "sk-budget-test" };

const workspace = llmWorkspace("budget");
const setup = (generations = 2) => workspace.setup({ generations });

/**
 * The run's end: the last event is run-ended with the manifest's status, and the log parses line by
 * line.
 */
function expectEndedWith(
  dir: string,
  status: string,
): { events: AgoraEvent[]; manifest: Manifest; ended: EventOf<"run-ended"> } {
  const events = readEvents(dir); // strict: every line must be complete JSON
  const manifest = readJson<Manifest>(join(dir, "manifest.json"));
  const ended = events.at(-1) as EventOf<"run-ended">;
  expect(ended.type).toBe("run-ended");
  expect(ended.status).toBe(status);
  expect(ofType(events, "run-ended")).toHaveLength(1);
  expect(manifest.status).toBe(status);
  expect(manifest.endedAt).not.toBeNull();
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  return { events, manifest, ended };
}

/** The step an event belongs to: the strategies of a generation, or one of its rounds. */
const stepOf = (e: AgoraEvent) => `${e.t.generation}:${e.t.round ?? "strategies"}`;

describe("--max-calls", () => {
  it("stops after exactly N calls with exit code 3; a replay from the cache stops at the same point", async () => {
    const { work, configPath, fake } = await setup();
    const N = 20; // 12 strategies, then 8 of round 1's 12 donations
    const dir = join(work, "capped", "run");
    const out = await runCli(
      ["run", configPath, "--out", dir, "--max-calls", String(N), "--quiet"],
      ENV,
    );
    expect(out.stderr).toBe("");
    expect(out.code).toBe(3);
    expect(out.stdout).toMatch(/^budget-exhausted: 0 generation\(s\), 20 LLM call\(s\)/m);

    const { events, manifest, ended } = expectEndedWith(dir, "budget-exhausted");
    expect(ended.error).toMatch(/max-calls cap of 20/);
    expect(manifest.error).toBe(ended.error);
    const calls = ofType(events, "llm-call");
    expect(calls).toHaveLength(N);
    expect(manifest.totals.calls).toBe(N);
    expect(manifest.config).toMatchObject({ budget: { maxCalls: N } });
    // No call beyond the cap reached the endpoint.
    expect(fake.requests).toHaveLength(N);
    expect(manifest.generationsCompleted).toBe(0);
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).toBe("");
    // Every call made is accounted for: each donation call has its interaction.
    const donations = ofType(events, "interaction").filter((e) => e.kind === "donation");
    expect(donations).toHaveLength(calls.filter((c) => c.purpose === "donation").length);

    // Cached calls count against the cap too, so the replay ends at the same call.
    const replayDir = join(work, "replayed", "run");
    const replay = await runCli(
      ["run", configPath, "--out", replayDir, "--max-calls", String(N), "--cache", "replay"],
      ENV,
    );
    expect(replay.code).toBe(3);
    const again = expectEndedWith(replayDir, "budget-exhausted");
    expect(ofType(again.events, "llm-call").every((c) => c.cached)).toBe(true);
    const withoutStart = (es: AgoraEvent[]) =>
      stableEvents(es).filter((e) => e.type !== "run-started");
    expect(withoutStart(again.events)).toEqual(withoutStart(events));
    expect(fake.requests).toHaveLength(N);
  });

  it("never caps policy minds: an offline population makes no LLM calls and completes", async () => {
    const work = workspace.dir();
    const configPath = writeConfig(work, "policies.yaml", {
      scenario: "donor-game",
      seed: 5,
      generations: 2,
      population: {
        size: 8,
        minds: [
          { count: 4, policy: "tit-for-tat", initial: 1 },
          { count: 4, policy: "constant", fraction: 0.5 },
        ],
      },
      cache: { dir: join(work, "cache"), mode: "read-write" },
    });
    const dir = join(work, "run");
    const out = await runCli([
      "run",
      configPath,
      "--out",
      dir,
      "--max-calls",
      "1",
      "--max-cost",
      "0.000001",
      "--quiet",
    ]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const { events, manifest } = expectEndedWith(dir, "completed");
    expect(ofType(events, "llm-call")).toHaveLength(0);
    expect(manifest.generationsCompleted).toBe(2);
    expect(manifest.totals.calls).toBe(0);
    expect(ofType(events, "interaction").length).toBeGreaterThan(1);
    expect(readJsonlStrict(join(dir, "metrics.jsonl")).map((m) => m.llmCalls)).toEqual([0, 0]);
  });
});

describe("--max-cost", () => {
  it("stops once the priced cost reaches the cap, overshooting by no more than the calls already in flight", async () => {
    const { work, configPath, fake } = await setup();
    const cap = 0.06; // about two and a half steps' worth at these prices and prompt sizes
    const dir = join(work, "capped", "run");
    const out = await runCli(
      ["run", configPath, "--out", dir, "--max-cost", String(cap), "--quiet"],
      ENV,
    );
    expect(out.stderr).toBe("");
    expect(out.code).toBe(3);

    const { events, manifest, ended } = expectEndedWith(dir, "budget-exhausted");
    expect(ended.error).toMatch(/max-cost cap of \$0\.06 reached/);
    const calls = ofType(events, "llm-call");
    const total = sum(calls.map((c) => c.cost!));
    expect(fake.requests).toHaveLength(calls.length);
    expect(manifest.totals.calls).toBe(calls.length);
    expect(Math.abs(manifest.totals.cost! - total)).toBeLessThanOrEqual(calls.length * 5e-10);

    // It stopped because the cap was reached...
    expect(manifest.totals.cost!).toBeGreaterThanOrEqual(cap);
    // ...and not before: the calls before the last step with calls cost less than the cap, so only
    // calls started (reserved) before the cap was reached carried the total past it.
    const lastStep = stepOf(calls.at(-1)!);
    const inLastStep = calls.filter((c) => stepOf(c) === lastStep);
    const before = sum(calls.filter((c) => stepOf(c) !== lastStep).map((c) => c.cost!));
    expect(before).toBeLessThan(cap);
    expect(total - cap).toBeLessThanOrEqual(sum(inLastStep.map((c) => c.cost!)));
    // A step has at most one donation per agent (plus re-asks, none here).
    expect(inLastStep.length).toBeLessThanOrEqual(12);
    // The cap fell mid-run, not at the first or the last step.
    expect(calls.length).toBeGreaterThan(24);
    expect(manifest.generationsCompleted).toBe(0);
  });
});
