/**
 * A debate run with generations on, killed (SIGKILL) mid-generation through the CLI, resumes from
 * its last checkpoint and ends exactly as an uninterrupted run of the same config.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { agentIdParts } from "../../../sim/core/ids.js";
import type { AgoraEvent } from "../../../sim/core/events.js";
import type { Manifest } from "../../../sim/core/recorder.js";
import {
  FAKE_ENV,
  debateWorkspace,
  interactionsOf,
  runDebate,
} from "../../../tests/support/debate-helpers.js";
import {
  peekEvents,
  readEvents,
  readJson,
  runCli,
  spawnCli,
  stableEvents,
  waitForEvents,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

const workspace = debateWorkspace();

describe("debate resume", () => {
  it("a run killed mid-generation 2 resumes from its checkpoint and equals an uninterrupted run", async () => {
    const open = await workspace(
      { answer: (r) => (agentIdParts(r.name)!.index === 1 ? "4" : "5") },
      undefined,
      { latencyMs: 100 },
    );
    const config = open.config(
      4,
      { setup: "n-agent", rounds: 1, questionsPerGeneration: 2, evolution: { enabled: true } },
      { generations: 3 },
    );
    // The interrupted run goes first, so its calls meet the endpoint's latency (not the cache).
    const configPath = writeConfig(join(open.work, "run"), "config.yaml", config);
    const killedDir = join(open.work, "run", "killed");
    const proc = spawnCli(["run", configPath, "--out", killedDir], FAKE_ENV);
    const midway = (events: AgoraEvent[]) =>
      events.some((e) => e.type === "generation-ended" && e.t.generation === 1) &&
      interactionsOf(events, "answer").some((e) => e.t.generation === 2);
    try {
      await waitForEvents(killedDir, proc, midway);
    } finally {
      proc.child.kill("SIGKILL");
    }
    await proc.done;
    expect(
      peekEvents(killedDir).some((e) => e.type === "generation-ended" && e.t.generation === 2),
    ).toBe(false);

    const resumed = await runCli(["resume", killedDir], FAKE_ENV);
    expect(resumed.code, resumed.stderr).toBe(0);
    const manifest = readJson<Manifest>(join(killedDir, "manifest.json"));
    expect(manifest).toMatchObject({
      status: "completed",
      generationsCompleted: 3,
      resumes: [{ fromGeneration: 2 }],
    });
    // The same config uninterrupted (its calls now come from the cache).
    const first = await runDebate(open.work, "run", config);
    expect(stableEvents(readEvents(killedDir))).toEqual(stableEvents(first.events));
    for (const name of ["metrics.jsonl", "agents.jsonl"])
      expect(readFileSync(join(killedDir, name), "utf8"), name).toBe(
        readFileSync(join(first.dir, name), "utf8"),
      );
  }, 30_000);
});
