/**
 * A transmission run on policy minds, killed with SIGKILL after a few generations, resumes from its
 * checkpoint (texts, newcomers, influence) to the same log as an uninterrupted run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  readEvents,
  readJson,
  ROOT,
  runCli,
  spawnCli,
  stableEvents,
  tempDir,
  waitForEvents,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";

const tmp = tempDir("transmission-resume");
afterAll(() => tmp.cleanup());

describe("transmission resume", () => {
  it("a run killed after generation 3 resumes to the same events, metrics and rows", async () => {
    const example = parseYaml(
      readFileSync(join(ROOT, "scenarios/transmission/offline-network.yaml"), "utf8"),
    ) as Record<string, unknown>;
    const config = writeConfig(tmp.path, "long.yaml", {
      ...example,
      generations: 40,
      transmission: {
        ...(example.transmission as object),
        socialLearning: {
          turnover: 0.25,
          memory: true,
          prestige: { by: "influence", select: "weighted", k: 6 },
        },
      },
    });
    const whole = join(tmp.path, "whole");
    const cut = join(tmp.path, "cut");
    const proc = spawnCli(["run", config, "--out", cut]);
    await waitForEvents(cut, proc, (events) =>
      events.some((e) => e.type === "generation-ended" && e.t.generation === 3),
    );
    proc.child.kill("SIGKILL");
    await proc.done;
    const manifest = readJson<{ status: string; generationsCompleted: number }>(
      join(cut, "manifest.json"),
    );
    expect(manifest.status).toBe("running");
    expect(manifest.generationsCompleted).toBeLessThan(40);

    const [resumed, uninterrupted] = await Promise.all([
      runCli(["resume", cut]),
      runCli(["run", config, "--out", whole]),
    ]);
    expect(resumed.code).toBe(0);
    expect(uninterrupted.code).toBe(0);
    const stable = (dir: string) => stableEvents(readEvents(dir));
    expect(stable(cut)).toEqual(stable(whole));
    for (const file of ["metrics.jsonl", "agents.jsonl"])
      expect(readFileSync(join(cut, file), "utf8")).toBe(readFileSync(join(whole, file), "utf8"));
  });
});
